import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Platform, TestAuthServer, dropTestDatabases, startPlatform, startTestAuthServer, unique } from '@fedmcp/testing';
import { main } from '../src/reconcile';

jest.setTimeout(120_000);

// Authorization on, as npm start runs it: the command gets its own read tokens.
let auth: TestAuthServer;
let platform: Platform;
let urls: string[];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-reconcile-'));

beforeAll(async () => {
  auth = await startTestAuthServer();
  platform = await startPlatform({ auth, env: { LOG_LEVEL: 'warn' } });
  urls = (['order', 'product', 'payment'] as const).flatMap((name) => ['--url', `${name}=${platform.processes[name].url}`]);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await auth?.stop();
  await dropTestDatabases();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function reconcileCommand(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...urls, ...args], (t) => void (out += t), (t) => void (err += t), { ...process.env, DATA_DIR: dataDir });
  return { code, out, err };
}

interface Report {
  ok: boolean;
  violation_count: number;
  violations: { kind: string; message: string; order_id?: string; reservation_id?: string; payment_id?: string }[];
}

describe('reconciler (npm run reconcile and the reconcile_orders tool)', () => {
  it('finds a platform with confirmed, failed and cancelled orders consistent', async () => {
    const { customer, product, order } = platform.clients;
    const buyer = await customer.ok<{ customer_id: string }>('create_customer', { name: 'Audit Buyer', email: `audit-${unique()}@example.com` });
    const item = await product.ok<{ product_id: string }>('create_product', { sku: `AUDIT-${unique()}`, name: 'Audited widget', price_cents: 700, stock: 5 });
    const place = (quantity: number, payment_method = 'pm_card_ok') =>
      order.ok<{ order_id: string; status: string }>('create_order', { customer_id: buyer.customer_id, items: [{ product_id: item.product_id, quantity }], payment_method });
    expect((await place(2)).status).toBe('confirmed');
    expect((await place(1, 'pm_card_declined')).status).toBe('failed');
    expect((await place(9)).status).toBe('failed'); // not enough stock
    const cancelled = await place(1);
    await order.ok('cancel_order', { order_id: cancelled.order_id });

    const command = await reconcileCommand('--grace', '0');
    expect(command).toMatchObject({ code: 0, err: '' });
    expect(command.out).toMatch(/checked 4 orders, 3 reservations, 3 payments, \d+ products: no violations/);
    expect(await order.ok<Report>('reconcile_orders', { pending_grace_seconds: 0 })).toMatchObject({ ok: true, violation_count: 0, violations: [] });
  });

  it('reports stock held and money taken for an order that does not exist, with their ids, and exits 1', async () => {
    const { customer, product, payment, order } = platform.clients;
    const buyer = await customer.ok<{ customer_id: string }>('create_customer', { name: 'Ghost Buyer', email: `ghost-${unique()}@example.com` });
    const item = await product.ok<{ product_id: string }>('create_product', { sku: `GHOST-${unique()}`, name: 'Ghost widget', price_cents: 300, stock: 5 });
    // Someone reserved stock and charged a card behind the order service's back.
    const ghost = `ord_ghost${unique()}`;
    const held = await product.ok<{ reservation_id: string }>('reserve_inventory', { order_id: ghost, items: [{ product_id: item.product_id, quantity: 2 }] });
    const paid = await payment.ok<{ payment_id: string }>('authorize_payment', { order_id: ghost, customer_id: buyer.customer_id, amount_cents: 600, payment_method: 'pm_card_ok', idempotency_key: ghost });

    const command = await reconcileCommand('--json');
    expect(command.code).toBe(1);
    const report = JSON.parse(command.out) as Report;
    expect(report.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'reservation_held_by_no_live_order', reservation_id: held.reservation_id, order_id: ghost }),
        expect.objectContaining({ kind: 'orphan_payment', payment_id: paid.payment_id, order_id: ghost }),
      ]),
    );
    // The order service's tool runs the same checks and says the same.
    const tool = await order.ok<Report>('reconcile_orders', {});
    expect(tool).toMatchObject({ ok: false, violation_count: report.violation_count });
    expect(tool.violations.map((v) => v.kind).sort()).toEqual(report.violations.map((v) => v.kind).sort());

    // Put things right: the violations go away.
    await product.ok('release_reservation', { reservation_id: held.reservation_id });
    await payment.ok('void_payment', { payment_id: paid.payment_id });
    expect((await reconcileCommand()).code).toBe(0);
  });

  it('refuses bad arguments with a usage line, and says so when a service cannot be read', async () => {
    expect(await reconcileCommand('--grace', '-1')).toMatchObject({ code: 64, err: expect.stringContaining('--grace must be a whole number of seconds') });
    const unreachable = await reconcileCommand('--url', 'product=http://127.0.0.1:9');
    expect(unreachable).toMatchObject({ code: 2, err: expect.stringContaining('reconcile: could not read the platform') });
  });
});
