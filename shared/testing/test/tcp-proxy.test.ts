import * as net from 'node:net';
import { TcpProxy } from '../src/tcp-proxy';

describe('TcpProxy', () => {
  it('start() rejects when its port is taken, instead of never settling', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      await expect(new TcpProxy('127.0.0.1', 9).start(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('refuse() resets new connections on the port it keeps; restore() lets them through again', async () => {
    const target = net.createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const proxy = await new TcpProxy('127.0.0.1', (target.address() as net.AddressInfo).port).start();
    const read = () =>
      new Promise<string>((resolve) => {
        const socket = net.connect(proxy.port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
        socket.on('close', () => resolve(text));
      });
    try {
      expect(await read()).toBe('hello');
      proxy.refuse();
      expect(await read()).toBe('error ECONNRESET');
      proxy.restore();
      expect(await read()).toBe('hello');
    } finally {
      await proxy.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
