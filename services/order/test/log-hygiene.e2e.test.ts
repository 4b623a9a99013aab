import postgres from 'postgres';
import { OtlpReceiver, Platform, dropTestDatabases, postRaw, startPlatform, unique } from '@fedmcp/testing';
import { newProduct, placeOrder } from './fixtures';

/**
 * Log hygiene end to end: four services as processes, exporting spans to a
 * test OTLP receiver, driven through confirmed and declined orders,
 * NOT_FOUND, VALIDATION_ERROR, CONFLICT and an INTERNAL database error; then
 * every stdout/stderr line and every exported span is grepped for each
 * e-mail address, phone number, token and secret the test used.
 * Runs in open mode (authorization has not landed on this platform yet); the
 * bearer token below is sent anyway and must not surface either.
 */

jest.setTimeout(120_000);

let platform: Platform;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  platform = await startPlatform({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'debug' } });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
  await dropTestDatabases();
});

const id = unique();
const EMAIL = `grace.hopper.${id}@example.com`;
const OTHER_EMAIL = `ada.lovelace.${id}@example.org`;
const PHONE = '+1 415 555 0142';
const INTERNAL_PHONE = '+44 20 7946 0958';
const TOKEN = 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJncmFjZSIsImF1ZCI6Im9yZGVyIn0.c2lnbmF0dXJlLXNlY3JldC1ieXRlcw';
const SECRET = `client-secret-${id}`;

describe('nothing personal or secret reaches a log line or a span', () => {
  it('after orders, declines, NOT_FOUND, VALIDATION_ERROR, CONFLICT and an INTERNAL database error', async () => {
    const { customer, order } = platform.clients;
    const created = await customer.ok<{ customer_id: string }>('create_customer', { name: 'Grace Hopper', email: EMAIL, phone: PHONE });
    const product = await newProduct(platform, 5);

    // On a loaded machine an order may answer `pending` inside its budget and finish in the background: either is fine here.
    expect(['confirmed', 'pending']).toContain((await placeOrder(order, { customer_id: created.customer_id, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' })).status);
    expect(['failed', 'pending']).toContain((await placeOrder(order, { customer_id: created.customer_id, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_declined' })).status);
    const declined = await platform.clients.payment.ok<{ status: string }>('authorize_payment', { order_id: `ord_${id}`, customer_id: created.customer_id, amount_cents: 500, payment_method: 'pm_card_declined', idempotency_key: `decline-${id}` });
    expect(declined.status).toBe('declined');
    expect((await customer.call('get_customer', { customer_id: 'cus_doesnotexist0000' })).error?.code).toBe('NOT_FOUND');
    expect((await customer.call('create_customer', { name: 'Bad', email: `${EMAIL}@` })).error?.code).toBe('VALIDATION_ERROR');
    expect((await customer.call('create_customer', { name: 'Twin', email: EMAIL.toUpperCase(), phone: PHONE })).error?.code).toBe('CONFLICT');
    expect((await customer.call('search_customers', { query: EMAIL })).isError).toBe(false);

    // A token and a secret sent to a server must not come back out of it.
    const raw = await postRaw(platform.processes.customer.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 'cus_doesnotexist0001' } } }), {
      authorization: `Bearer ${TOKEN}`,
      'x-api-key': SECRET,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(raw.status).toBeLessThan(500);

    // INTERNAL: break the customer table under the running service, so the insert fails in the database with the values bound.
    const databaseUrl = platform.envs.customer.DATABASE_URL;
    if (databaseUrl) {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
      try {
        await sql.unsafe('alter table customers rename column phone to phone_moved');
        const internal = await customer.call('create_customer', { name: 'Katherine Johnson', email: OTHER_EMAIL, phone: INTERNAL_PHONE });
        expect(internal.error?.code).toBe('INTERNAL');
        expect(internal.error?.message).not.toMatch(/insert|phone|Failed query/i);
      } finally {
        await sql.unsafe('alter table customers rename column phone_moved to phone');
        await sql.end();
      }
    }

    // Let the batched span exports arrive, then stop the services so everything is flushed.
    await receiver.waitFor((spans) => spans.some((s) => s.name === 'tools/call create_order' && s.service === 'order-service'), 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    const processes = Object.values(platform.processes);
    await platform.stop();

    const logs = processes.flatMap((p) => [...p.lines, ...p.stderr]).join('\n');
    const spans = receiver.raw.join('\n');
    expect(logs).toMatch(/"message":"tool call"/);
    expect(spans).toMatch(/create_customer/);
    if (databaseUrl) expect(logs).toMatch(/"db_error_code":"42703"/);
    const secrets = [EMAIL, EMAIL.toUpperCase(), OTHER_EMAIL, PHONE, INTERNAL_PHONE, TOKEN, SECRET];
    for (const secret of secrets) {
      expect({ where: 'logs', secret, found: logs.includes(secret) }).toEqual({ where: 'logs', secret, found: false });
      expect({ where: 'spans', secret, found: spans.includes(secret) }).toEqual({ where: 'spans', secret, found: false });
    }
  });
});
