import * as net from 'node:net';

/**
 * A loopback TCP proxy in front of a real server (PostgreSQL, Redis, a
 * service). `cut()` drops every connection and refuses new ones, which is
 * what a client sees when that server stops; `restore()` lets traffic through again.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** While stopped, how a new connection is turned away: closed (`cut`) or reset (`refuse`). */
  private stopped: 'close' | 'reset' | undefined;
  private held = false;
  private readonly flushers = new Set<() => void>();
  port = 0;
  /**
   * Added latency, in ms, for every chunk in either direction (order kept).
   * Settable at any time, e.g. after a service is ready, to make its next
   * queries slow for real.
   */
  delayMs = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname, Number(u.port));
  }

  /** The same URL with host and port swapped for the proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Listens on `port` (default: any free one). To stop a server and bring it back on its port, `refuse()` and `restore()` keep the port; listening again on a closed proxy's port races everything else for it. */
  async start(port = 0): Promise<this> {
    this.server = net.createServer((client) => {
      if (this.stopped) return this.stopped === 'reset' ? client.resetAndDestroy() : client.destroy();
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      this.relay(client, upstream);
      this.relay(upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject).listen(port, '127.0.0.1', () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server!.address() as net.AddressInfo).port;
    return this;
  }

  /** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order. */
  private relay(from: net.Socket, to: net.Socket): void {
    const queue: { at: number; chunk?: Buffer }[] = []; // no chunk = end of stream
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (this.held) return; // kept until restore()
      while (queue.length && queue[0].at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk) to.write(chunk);
        else to.end();
      }
      if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].at - Date.now()));
    };
    const push = (chunk?: Buffer) => {
      queue.push({ at: Date.now() + this.delayMs, chunk });
      if (this.held) return;
      if (this.delayMs <= 0 && queue.length === 1) return flush();
      timer ??= setTimeout(flush, Math.max(0, queue[0].at - Date.now()));
    };
    this.flushers.add(flush);
    from.on('close', () => this.flushers.delete(flush));
    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push());
  }

  cut(): void {
    this.stop('close');
  }

  /**
   * A stopped server whose port nobody else may take: like `cut()`, but every
   * new connection is reset (the client's socket fails with an error, as a
   * refused connect does) while the proxy keeps its port. Closing the proxy
   * instead and listening again on the same port later races every other
   * process on the machine for that port (and a client's own connect, which
   * can bind that very port as its source and connect to itself).
   */
  refuse(): void {
    this.stop('reset');
  }

  private stop(how: 'close' | 'reset'): void {
    this.stopped = how;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Lets traffic through again (and delivers what `hold()` kept back). */
  restore(): void {
    this.stopped = undefined;
    this.held = false;
    for (const flush of this.flushers) flush();
  }

  /**
   * A hung server: connections stay open (new ones are accepted) but nothing
   * is forwarded in either direction until `restore()`.
   */
  hold(): void {
    this.held = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
