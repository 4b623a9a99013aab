import * as fs from 'node:fs';
import * as net from 'node:net';
import { freePort } from '../src/processes';

/** Binds `port` on loopback, or says why it could not. */
function bind(port: number): Promise<net.Server> {
  const server = net.createServer();
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * Services under test listen on a port chosen before they start, and again on
 * the same port after a restart; freePort keeps those ports where no outgoing
 * connection can take them as its source port meanwhile.
 */
describe('freePort', () => {
  const ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

  it('hands out ports below the ephemeral range, never one twice, each free to listen on', async () => {
    // 600 draws from ~22 000 ports repeat one about 8 times unless repeats are refused.
    const ports: number[] = [];
    for (let i = 0; i < 600; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
    const servers = await Promise.all(ports.map(bind));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('never hands out a port something listens on', async () => {
    // 800 ports held at random: without the listen check, 300 picks would draw a held one ~10 times.
    const held: net.Server[] = [];
    for (let i = 0; i < 800; i++) {
      const port = 10_000 + Math.floor(Math.random() * (ephemeralLow - 10_000));
      const server = await bind(port).catch(() => undefined);
      if (server) held.push(server);
    }
    const busy = new Set(held.map((s) => (s.address() as net.AddressInfo).port));
    try {
      for (let i = 0; i < 300; i++) expect(busy.has(await freePort())).toBe(false);
    } finally {
      await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
