import { Platform, TcpProxy, connectClient, dropTestDatabases, startPlatform, terminateConnections } from '@fedmcp/testing';
import type { TestClient } from '@fedmcp/testing';
import { OrderView, newCustomer, newProduct } from './fixtures';

// A service's database cut away (at a TCP proxy, its server-side connections
// terminated) while orders flow: the process must stay up, answer with clear
// errors and readiness 503, and serve again once the database is back. Cut
// here: the order service's own database, and the payment service's (the
// upstream whose tool, authorize_payment, holds a lock across the provider
// call).

jest.setTimeout(120_000);

const CUT = ['order', 'payment'] as const;
type Cut = (typeof CUT)[number];

let platform: Platform;
const gates = new Map<Cut, { proxy: TcpProxy; database: string }>();

beforeAll(async () => {
  platform = await startPlatform({
    serviceEnv: { order: { ORDER_LEASE_MS: '3000', RECOVERY_INTERVAL_MS: '500' } },
    databaseUrl: async (name, url) => {
      if (!(CUT as readonly string[]).includes(name)) return url;
      const proxy = await TcpProxy.forUrl(url).start();
      gates.set(name as Cut, { proxy, database: new URL(url).pathname.slice(1) });
      return proxy.rewrite(url);
    },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await Promise.all([...gates.values()].map((g) => g.proxy.close()));
  await dropTestDatabases();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(CUT)('when the %s database goes away under load', (cut) => {
  it('stays up, answers with clear errors and 503 while it is gone, and serves again after', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 100_000);
    const clients: TestClient[] = await Promise.all(Array.from({ length: 6 }, () => connectClient(platform.processes.order.mcpUrl)));
    const codes = new Map<string, number>();
    const transport: string[] = [];
    let running = true;
    let n = 0;
    const load = clients.map(async (client) => {
      while (running) {
        try {
          const result = await client.call<OrderView>('create_order', { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok', idempotency_key: `db-loss-${cut}-${n++}` });
          const code = result.isError ? (result.error?.code ?? 'UNKNOWN') : result.data.status;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        } catch (error) {
          transport.push((error as Error).message);
          await sleep(100);
        }
      }
    });
    const service = platform.processes[cut];
    const gate = gates.get(cut)!;
    try {
      await sleep(1500);
      gate.proxy.cut();
      await terminateConnections(gate.database);
      await sleep(1500);
      const ready = await fetch(`${service.url}/ready`).then(
        async (r) => (await r.body?.cancel(), r.status),
        (error: Error) => `no answer (${error.message}); stderr: ${service.stderr.join('').slice(-2000)}`,
      );
      expect(ready).toBe(503);
      await sleep(1500);
    } finally {
      gate.proxy.restore();
      await sleep(2000);
      running = false;
      await Promise.all(load);
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
    const stderr = service.stderr.join('');
    expect({ exitCode: service.child.exitCode, signal: service.child.signalCode, error: /Error:|at .*\.js:\d+/.test(stderr) ? stderr.slice(-2000) : '' }).toEqual({ exitCode: null, signal: null, error: '' });
    expect(transport).toEqual([]);
    // No INTERNAL anywhere: a lost database is DEPENDENCY_UNAVAILABLE (or TIMEOUT), never a bug.
    for (const name of ['order', cut] as const) {
      expect({ name, unexpected: platform.processes[name].lines.filter((l) => l.includes('unexpected error')).map((l) => l.slice(0, 600)) }).toEqual({ name, unexpected: [] });
    }
    // The order service answers the lost database itself; a lost payment database fails the orders that needed it.
    expect(codes.get(cut === 'order' ? 'DEPENDENCY_UNAVAILABLE' : 'failed') ?? 0).toBeGreaterThan(0);
    expect(codes.get('confirmed') ?? 0).toBeGreaterThan(0);
    expect([...codes.keys()].filter((c) => !['confirmed', 'pending', 'failed', 'DEPENDENCY_UNAVAILABLE', 'TIMEOUT'].includes(c))).toEqual([]);

    // Serving again: new orders confirm, and nothing is left pending once recovery has run.
    const after = await platform.clients.order.ok<OrderView>('create_order', { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(after.status).toBe('confirmed');
    const deadline = Date.now() + 30_000;
    let pending = -1;
    while (Date.now() < deadline) {
      const page = await platform.clients.order.ok<{ items: unknown[] }>('list_orders', { status: 'pending', limit: 100 });
      pending = page.items.length;
      if (pending === 0) break;
      await sleep(500);
    }
    expect(pending).toBe(0);
  });
});
