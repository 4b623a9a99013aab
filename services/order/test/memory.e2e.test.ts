/**
 * Leak test (issue 13) of create_order end to end: the four services run as
 * their own processes with the test-only heap probe, exporting spans and
 * logging at info as in production. The order service's MCP clients call
 * customer, product (reserve, commit) and payment (authorize, capture) for
 * every order, so this watches the client path (undici, circuit breakers,
 * AbortSignals, CLIENT spans) as well as the three servers behind it.
 *
 * The bound: MAX_BYTES_PER_ORDER = 250 for each process. One order is up to
 * two requests to product and payment and one to customer, plus the saga's
 * writes in the order service. The CALLS orders run in eight segments with a
 * settled heap reading of every process after each, and the bytes kept per
 * order are the slope of a line fitted through them (measureHeapGrowth),
 * which averages out how a healthy heap's readings wander. The issue's
 * 300 B per request leak would keep 300–600 B per order in each server
 * process and 300 B per upstream call in the order service's clients.
 *
 * Authorization is on, as in production: the test's clients hold user-like
 * tokens for the order service, and the order service gets its own
 * client-credentials tokens for each upstream (its token cache is watched too).
 */
import { LEAK_TEST_ARGS, OtlpReceiver, Platform, connectClient, describeGrowth, dropTestDatabases, measureHeapGrowth, productionLikeEnv, startPlatform, startTestAuthServer } from '@fedmcp/testing';
import type { TestAuthServer, TestClient } from '@fedmcp/testing';
import { OrderView, newCustomer, newProduct } from './fixtures';

const MAX_BYTES_PER_ORDER = 250;
const WARMUP = 300; // a fresh process grows for its first few hundred orders (optimised code, pools)
const CALLS = 1600;
const CONCURRENCY = 8;

let otlp: OtlpReceiver;
let auth: TestAuthServer;
let platform: Platform;
let clients: TestClient[];

beforeAll(async () => {
  otlp = await new OtlpReceiver({ keep: false }).start();
  auth = await startTestAuthServer();
  platform = await startPlatform({ auth, env: productionLikeEnv(otlp), execArgv: [...LEAK_TEST_ARGS], ipc: true });
  const orderUrl = platform.processes.order.mcpUrl;
  clients = await Promise.all(Array.from({ length: 4 }, () => connectClient(orderUrl, 'modern', { token: () => auth.token(orderUrl, ['order:write']) })));
}, 120_000);

afterAll(async () => {
  await Promise.all((clients ?? []).map((c) => c.close().catch(() => undefined)));
  await platform?.stop();
  await otlp?.close();
  await auth?.stop();
  await dropTestDatabases();
});

it('create_order end to end keeps every process heap flat', async () => {
  const customerId = await newCustomer(platform);
  const productId = await newProduct(platform, 1_000_000, 199);
  const call = async (i: number) => {
    const result = await clients[i % clients.length].call<OrderView>('create_order', { customer_id: customerId, items: [{ product_id: productId, quantity: 1 }], payment_method: 'pm_card_ok' });
    if (result.isError) throw new Error(`create_order failed: ${result.error?.code} ${result.error?.message}`);
    // `pending`: the saga outlived the tool budget on a slow machine and finishes in the background
    // (SPEC); still one order through every process, which is what this test measures.
    if (result.data.status !== 'confirmed' && result.data.status !== 'pending') throw new Error(`create_order answered status ${result.data.status}`);
    return true;
  };
  const growth = await measureHeapGrowth({ services: Object.values(platform.processes), warmup: WARMUP, calls: CALLS, concurrency: CONCURRENCY, call });
  console.log(describeGrowth(growth));
  expect(Object.keys(growth).sort()).toEqual(['customer', 'order', 'payment', 'product']);
  // The logged lines name the process whose assertion fails.
  for (const g of Object.values(growth)) expect(g.perCall).toBeLessThan(MAX_BYTES_PER_ORDER);
  // Node's own leak warnings count too: cockatiel once hung one abort listener per upstream call
  // in flight on a single process-wide signal, and past ten of them node printed
  // MaxListenersExceededWarning (the order service has up to sixteen in flight here).
  for (const [name, service] of Object.entries(platform.processes)) {
    expect({ name, warnings: service.stderr.join('').match(/^.*Warning\b.*$/gm) ?? [] }).toEqual({ name, warnings: [] });
  }
}, 600_000);
