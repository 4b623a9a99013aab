import { InProcessService, TcpProxy, startInProcess, testPgUrl, testRedisUrl } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';
import { CUSTOMER_CACHE, GET_CUSTOMER, SEARCH_CUSTOMERS, UPDATE_CUSTOMER } from '../src/customer.tools';
import type { Customer } from '../src/customer.repository';
import { getJson, metricValue, newCustomer } from './fixtures';

type Service = Awaited<ReturnType<typeof createCustomerService>>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForReady(url: string, status: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await getJson(`${url}/ready`);
  while (last.body.status !== status && Date.now() < deadline) {
    await sleep(100);
    last = await getJson(`${url}/ready`);
  }
  return last;
}

describe('cache-aside reads', () => {
  let svc: InProcessService<Service>;
  beforeAll(async () => {
    svc = await startInProcess('customer', createCustomerService);
  }, 60_000);
  afterAll(() => svc?.stop());

  const hits = () => metricValue(svc.service.metrics.registry, 'mcp_cache_hits_total', { cache: CUSTOMER_CACHE });
  const misses = () => metricValue(svc.service.metrics.registry, 'mcp_cache_misses_total', { cache: CUSTOMER_CACHE });

  it('serves a second get_customer from the cache', async () => {
    const customer = await newCustomer(svc.client);
    const [hits0, misses0] = [await hits(), await misses()];
    await svc.client.ok(GET_CUSTOMER, { customer_id: customer.customer_id });
    expect([await hits(), await misses()]).toEqual([hits0, misses0 + 1]);
    const second = await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id });
    expect([await hits(), await misses()]).toEqual([hits0 + 1, misses0 + 1]);
    expect(second).toEqual(customer);
  });

  it('makes update_customer visible on the next read (the entry is invalidated)', async () => {
    const customer = await newCustomer(svc.client);
    await svc.client.ok(GET_CUSTOMER, { customer_id: customer.customer_id });
    await svc.client.ok(GET_CUSTOMER, { customer_id: customer.customer_id });
    await svc.client.ok(UPDATE_CUSTOMER, { customer_id: customer.customer_id, name: 'Renamed Person', tier: 'enterprise' });
    const misses0 = await misses();
    const after = await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id });
    expect(after).toMatchObject({ name: 'Renamed Person', tier: 'enterprise' });
    expect(await misses()).toBe(misses0 + 1);
  });

  it('exposes the cache counters on /metrics with the service label', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(/mcp_cache_hits_total\{[^}]*cache="customer"[^}]*service="customer"[^}]*\} [1-9]/);
    expect(text).toMatch(/mcp_tool_calls_total\{[^}]*tool="get_customer"[^}]*status="success"/);
  });

  it('times database queries by operation and gives every connection back', async () => {
    const registry = svc.service.metrics.registry;
    const selects = () => metricValue(registry, 'mcp_db_query_duration_seconds', { operation: 'SELECT' });
    const before = await selects(); // histogram values: buckets, sum and count all grow
    await svc.client.ok(SEARCH_CUSTOMERS, { limit: 5 });
    expect(await selects()).toBeGreaterThan(before);
    expect(await metricValue(registry, 'mcp_db_connections_active', {})).toBe(0);
  });

  it('reports ready with database and cache ok', async () => {
    const { status, body } = await getJson(`${svc.url}/ready`);
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { database: 'ok', cache: 'ok' } });
    expect((await getJson(`${svc.url}/health`)).status).toBe(200);
  });
});

/**
 * With a Redis in the run, it is stopped mid-run (its TcpProxy cut) and
 * brought back. Without one, the service is pointed at a Redis that never
 * answers: the same degraded path, without the recovery.
 */
describe(testRedisUrl() ? 'Redis stopped mid-run' : 'Redis unreachable from the start', () => {
  let svc: InProcessService<Service>;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await (testRedisUrl() ? TcpProxy.forUrl(testRedisUrl()!) : new TcpProxy('127.0.0.1', 9)).start();
    if (!testRedisUrl()) proxy.cut();
    svc = await startInProcess('customer', createCustomerService, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    await proxy?.close();
  });

  let customer: Customer;

  it('keeps answering tool calls and reports degraded (200) with cache degraded', async () => {
    customer = await newCustomer(svc.client);
    if (testRedisUrl()) {
      expect((await waitForReady(svc.url, 'ready')).body).toEqual({ status: 'ready', checks: { database: 'ok', cache: 'ok' } });
      await svc.client.ok(GET_CUSTOMER, { customer_id: customer.customer_id });
      proxy.cut();
    }
    const degraded = await waitForReady(svc.url, 'degraded');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({ status: 'degraded', checks: { database: 'ok', cache: 'degraded' } });

    const started = Date.now();
    expect(await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).toEqual(customer);
    const updated = await svc.client.ok<Customer>(UPDATE_CUSTOMER, { customer_id: customer.customer_id, tier: 'pro' });
    expect((await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).tier).toBe('pro');
    expect((await svc.client.ok<{ items: Customer[] }>(SEARCH_CUSTOMERS, { query: customer.email })).items).toEqual([updated]);
    const created = await newCustomer(svc.client);
    expect(created.customer_id).toMatch(/^cus_/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  const recoveries = testRedisUrl() ? ['Redis comes back'] : [];
  for (const when of recoveries) {
    it(`recovers to ready when ${when}`, async () => {
      proxy.restore();
      const ready = await waitForReady(svc.url, 'ready', 15_000);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', cache: 'ok' } });
      // Cached before the outage, updated during it: the old entry must not come back.
      expect(await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).toMatchObject({ tier: 'pro' });

      const fresh = await newCustomer(svc.client);
      const hits0 = await metricValue(svc.service.metrics.registry, 'mcp_cache_hits_total', { cache: CUSTOMER_CACHE });
      await svc.client.ok(GET_CUSTOMER, { customer_id: fresh.customer_id });
      await svc.client.ok(GET_CUSTOMER, { customer_id: fresh.customer_id });
      expect(await metricValue(svc.service.metrics.registry, 'mcp_cache_hits_total', { cache: CUSTOMER_CACHE })).toBe(hits0 + 1);
    });
  }
});

/**
 * PostgreSQL behind a TcpProxy that is cut: /ready must say not_ready (503).
 * Embedded PGlite lives inside the process and cannot become unreachable, so
 * without PostgreSQL the test proves /ready reports the embedded database ok.
 */
describe(testPgUrl() ? 'PostgreSQL unreachable' : 'embedded database readiness', () => {
  let svc: InProcessService<Service>;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    // A short tool budget keeps the outage test quick.
    const extra: Record<string, string> = { TOOL_TIMEOUT_MS: '1500' };
    if (testPgUrl()) {
      proxy = await TcpProxy.forUrl(testPgUrl()!).start();
      // startInProcess makes a fresh database; point the service at it through the proxy.
      svc = await startInProcess('customer', async (env) => createCustomerService({ ...env, DATABASE_URL: proxy!.rewrite(env.DATABASE_URL!) }), extra);
    } else {
      svc = await startInProcess('customer', createCustomerService, extra);
    }
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    await proxy?.close();
  });

  if (testPgUrl()) {
    it('answers /ready 503 not_ready while the database is unreachable, and ready again after', async () => {
      await newCustomer(svc.client);
      proxy!.cut();
      const down = await waitForReady(svc.url, 'not_ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'not_ready', checks: { database: 'unreachable' } });
      // Liveness stays up: the process can still serve.
      expect((await getJson(`${svc.url}/health`)).status).toBe(200);
      // A tool call fails as a tool error within its budget, not a hang or a protocol error.
      const started = Date.now();
      const failed = await svc.client.call(GET_CUSTOMER, { customer_id: 'cus_0000000000000000000000000' });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(failed.isError).toBe(true);
      expect(['TIMEOUT', 'DEPENDENCY_UNAVAILABLE']).toContain(failed.error?.code);
      expect(failed.text).not.toMatch(/select|ECONNREFUSED|stack/i);

      proxy!.restore();
      const up = await waitForReady(svc.url, 'ready', 15_000);
      expect(up.status).toBe(200);
      expect(await newCustomer(svc.client)).toMatchObject({ status: 'active' });
    });
  } else {
    it('answers /ready 200 with the embedded database ok', async () => {
      expect(svc.service.databaseKind).toBe('embedded');
      const ready = await getJson(`${svc.url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    });
  }
});
