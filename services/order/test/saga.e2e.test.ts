import { Platform, TestAuthServer, dropTestDatabases, startPlatform, startTestAuthServer } from '@fedmcp/testing';
import { OrderView, newCustomer, newProduct, paymentsOf, placeOrder, productState } from './fixtures';

jest.setTimeout(60_000);

let auth: TestAuthServer;
let platform: Platform;

beforeAll(async () => {
  // Authorization on, as `npm start` runs it: every client and the order service itself use real tokens.
  auth = await startTestAuthServer();
  platform = await startPlatform({ auth });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await auth?.stop();
  await dropTestDatabases();
});

const order = () => platform.clients.order;

describe('the order saga across four services', () => {
  it('confirms an order: stock goes down, the payment is captured, every step is in the timeline', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 10, 1250);
    const placed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 2 }], payment_method: 'pm_card_ok' });
    expect(placed.status).toBe('confirmed');
    expect(placed.total_cents).toBe(2500);
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 8, stock_reserved: 0, stock_available: 8 });
    const [payment] = await paymentsOf(platform, placed.order_id);
    expect(payment).toMatchObject({ status: 'captured', amount_cents: 2500, captured_cents: 2500, refunded_cents: 0 });
    const detail = await order().call<OrderView>('get_order', { order_id: placed.order_id });
    expect(detail.data.timeline!.map((t) => `${t.step}:${t.status}`)).toEqual([
      'verify_customer:succeeded',
      'reserve_inventory:succeeded',
      'authorize_payment:succeeded',
      'commit_reservation:succeeded',
      'capture_payment:succeeded',
    ]);
  });

  it('fails a declined card with PAYMENT_DECLINED, gives the stock back and leaves no open authorization', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 3);
    const placed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_declined' });
    expect(placed.status).toBe('failed');
    expect(placed.failure?.code).toBe('PAYMENT_DECLINED');
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 3, stock_reserved: 0, stock_available: 3 });
    const payments = await paymentsOf(platform, placed.order_id);
    expect(payments.every((p) => p.status !== 'authorized' && p.captured_cents === 0)).toBe(true);
    const detail = await order().call<OrderView>('get_order', { order_id: placed.order_id });
    expect(detail.data.timeline!.map((t) => `${t.step}:${t.status}`)).toContain('release_reservation:succeeded');
  });

  it('fails with INSUFFICIENT_STOCK and holds nothing when stock runs out', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 2);
    const placed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 3 }], payment_method: 'pm_card_ok' });
    expect(placed.status).toBe('failed');
    expect(placed.failure?.code).toBe('INSUFFICIENT_STOCK');
    expect(await productState(platform, product)).toMatchObject({ stock_reserved: 0, stock_available: 2 });
    expect(await paymentsOf(platform, placed.order_id)).toHaveLength(0);
  });

  it('refuses an inactive customer with CUSTOMER_INACTIVE before touching stock', async () => {
    const customer = await newCustomer(platform, 'suspended');
    const product = await newProduct(platform, 2);
    const placed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(placed.failure?.code).toBe('CUSTOMER_INACTIVE');
    expect(await productState(platform, product)).toMatchObject({ stock_reserved: 0, stock_available: 2 });
  });

  it('fails orders for an unknown customer or product with NOT_FOUND', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 2);
    const noCustomer = await placeOrder(order(), { customer_id: 'cus_00000000000000000000000000', items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(noCustomer).toMatchObject({ status: 'failed', failure: { code: 'NOT_FOUND' } });
    const noProduct = await placeOrder(order(), { customer_id: customer, items: [{ product_id: 'prd_00000000000000000000000000', quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(noProduct).toMatchObject({ status: 'failed', failure: { code: 'NOT_FOUND' } });
  });

  it('rejects invalid input as VALIDATION_ERROR without creating an order', async () => {
    const customer = await newCustomer(platform);
    for (const args of [
      { customer_id: customer, items: [], payment_method: 'pm_card_ok' },
      { customer_id: customer, items: [{ product_id: 'prd_x1', quantity: 0 }], payment_method: 'pm_card_ok' },
      { customer_id: 'not-an-id', items: [{ product_id: 'prd_x1', quantity: 1 }], payment_method: 'pm_card_ok' },
      { customer_id: customer, items: [{ product_id: 'prd_x1', quantity: 1.5 }], payment_method: 'pm_card_ok' },
    ]) {
      const result = await order().call('create_order', args);
      expect(result.isError).toBe(true);
      expect(result.error?.code).toBe('VALIDATION_ERROR');
    }
    const listed = await order().call<{ items: unknown[] }>('list_orders', { customer_id: customer });
    expect(listed.data.items).toHaveLength(0);
  });

  it('places an order once for a repeated idempotency key, also when repeats race, and refuses the key for another request', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 10, 500);
    const args = { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok', idempotency_key: `key-${Date.now()}` };
    const results = await Promise.all(Array.from({ length: 5 }, () => placeOrder(order(), args)));
    expect(new Set(results.map((r) => r.order_id)).size).toBe(1);
    const again = await placeOrder(order(), args);
    expect(again.order_id).toBe(results[0].order_id);
    expect(again.status).toBe('confirmed');
    expect(await paymentsOf(platform, again.order_id)).toHaveLength(1);
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 9, stock_reserved: 0 });
    const different = await order().call('create_order', { ...args, items: [{ product_id: product, quantity: 2 }] });
    expect(different.error?.code).toBe('CONFLICT');
  });

  it('cancels a confirmed order: refunds the payment and returns the stock; cancelling again changes nothing', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 5, 999);
    const placed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 2 }], payment_method: 'pm_card_ok' });
    const cancelled = await order().call<OrderView>('cancel_order', { order_id: placed.order_id, reason: 'changed my mind' });
    expect(cancelled.isError).toBe(false);
    expect(cancelled.data.status).toBe('cancelled');
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 5, stock_reserved: 0 });
    const [payment] = await paymentsOf(platform, placed.order_id);
    expect(payment).toMatchObject({ status: 'refunded', captured_cents: 1998, refunded_cents: 1998 });
    const repeat = await order().call<OrderView>('cancel_order', { order_id: placed.order_id });
    expect(repeat.data.status).toBe('cancelled');
    expect((await paymentsOf(platform, placed.order_id))[0].refunded_cents).toBe(1998);
  });

  it('refuses to cancel a failed order with CONFLICT and an unknown one with NOT_FOUND', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 1);
    const failed = await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_insufficient_funds' });
    expect(failed.failure?.code).toBe('PAYMENT_DECLINED');
    expect((await order().call('cancel_order', { order_id: failed.order_id })).error?.code).toBe('CONFLICT');
    expect((await order().call('cancel_order', { order_id: 'ord_00000000000000000000000000' })).error?.code).toBe('NOT_FOUND');
    expect((await order().call('get_order', { order_id: 'ord_00000000000000000000000000' })).error?.code).toBe('NOT_FOUND');
  });

  it('never oversells: 20 parallel orders for the last 5 units confirm exactly 5, and the money adds up', async () => {
    const product = await newProduct(platform, 5, 700);
    const customers = await Promise.all(Array.from({ length: 4 }, () => newCustomer(platform)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => placeOrder(order(), { customer_id: customers[i % 4], items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' })),
    );
    const confirmed = results.filter((r) => r.status === 'confirmed');
    expect(confirmed).toHaveLength(5);
    expect(results.filter((r) => r.status === 'failed').every((r) => r.failure?.code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 0, stock_reserved: 0, stock_available: 0 });
    let captured = 0;
    for (const r of confirmed) for (const p of await paymentsOf(platform, r.order_id)) captured += p.captured_cents - p.refunded_cents;
    expect(captured).toBe(5 * 700);
  });

  it('lists orders by customer and status across pages', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 10, 100);
    for (let i = 0; i < 3; i++) await placeOrder(order(), { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
    const first = await order().call<{ items: OrderView[]; next_cursor: string | null }>('list_orders', { customer_id: customer, status: 'confirmed', limit: 2 });
    expect(first.data.items).toHaveLength(2);
    expect(first.data.next_cursor).not.toBeNull();
    const second = await order().call<{ items: OrderView[]; next_cursor: string | null }>('list_orders', { customer_id: customer, status: 'confirmed', limit: 2, cursor: first.data.next_cursor });
    expect(second.data.items).toHaveLength(1);
    expect(second.data.next_cursor).toBeNull();
    expect(new Set([...first.data.items, ...second.data.items].map((o) => o.order_id)).size).toBe(3);
  });
});
