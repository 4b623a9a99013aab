import { Platform, TcpProxy, TestAuthServer, dropTestDatabases, startPlatform, startTestAuthServer } from '@fedmcp/testing';
import { OrderView, newCustomer, newProduct, paymentsOf, placeOrder, productState } from './fixtures';

jest.setTimeout(90_000);

let auth: TestAuthServer;
let platform: Platform;
let paymentGate: TcpProxy;

beforeAll(async () => {
  // Authorization on, as in production: a restarted order service gets its own upstream tokens again.
  auth = await startTestAuthServer();
  platform = await startPlatform({
    auth,
    // Short leases and sweeps so recovery after a crash is quick to observe.
    serviceEnv: { order: { ORDER_LEASE_MS: '1500', RECOVERY_INTERVAL_MS: '500', UPSTREAM_TIMEOUT_MS: '4000' } },
    upstreamUrl: async (name, url) => {
      if (name !== 'payment') return url;
      paymentGate = await TcpProxy.forUrl(url).start();
      return paymentGate.rewrite(url);
    },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await paymentGate?.close();
  await auth?.stop();
  await dropTestDatabases();
});

async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('when a service fails', () => {
  it('fails fast with DEPENDENCY_UNAVAILABLE and releases the stock while the payment service is down', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 4);
    let placedId = '';
    paymentGate.cut();
    try {
      const started = Date.now();
      const placed = await placeOrder(platform.clients.order, { customer_id: customer, items: [{ product_id: product, quantity: 2 }], payment_method: 'pm_card_ok' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(placed.status).toBe('failed');
      expect(placed.failure?.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(await productState(platform, product)).toMatchObject({ stock_reserved: 0, stock_available: 4 });
      placedId = placed.order_id;
    } finally {
      paymentGate.restore();
    }
    // The void it could not do while payment was down is owed, and done once payment is back
    // (after the circuit breaker lets calls through again).
    const settled = await waitFor(
      () => platform.clients.order.ok<OrderView>('get_order', { order_id: placedId }),
      (o) => o.timeline!.some((t) => t.step === 'void_payment' && t.status === 'succeeded'),
      20_000,
    );
    expect(settled.timeline!.find((t) => t.step === 'void_payment')?.status).toBe('succeeded');
    expect((await paymentsOf(platform, placedId)).filter((p) => p.status === 'authorized')).toHaveLength(0);
  });

  it('answers create_order inside the 5 s budget with a pending order when payment hangs, and the saga still finishes', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 2, 1500);
    paymentGate.hold();
    let placed: OrderView;
    try {
      const started = Date.now();
      placed = await placeOrder(platform.clients.order, { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(placed.status).toBe('pending');
    } finally {
      paymentGate.restore();
    }
    const settled = await waitFor(
      () => platform.clients.order.ok<OrderView>('get_order', { order_id: placed.order_id }),
      (o) => o.status !== 'pending',
    );
    expect(settled.status).toBe('confirmed');
    expect(await productState(platform, product)).toMatchObject({ stock_on_hand: 1, stock_reserved: 0 });
    const payments = await paymentsOf(platform, placed.order_id);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'captured', captured_cents: 1500 });
  });

  it('finishes an order after the order service is killed between reservation and payment: never stuck, nothing held, no open authorization', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 3, 4200);
    paymentGate.hold(); // the authorization will hang
    const inFlight = platform.clients.order.call<OrderView>('create_order', { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' }).catch(() => undefined);
    // The reservation is made; the saga now waits on the payment service.
    await waitFor(() => productState(platform, product), (s) => s.stock_reserved === 1);
    platform.processes.order.signal('SIGKILL');
    expect(await platform.processes.order.exited).toBeNull();
    await inFlight;
    paymentGate.restore();

    await platform.restart('order');
    const listed = await waitFor(
      () => platform.clients.order.call<{ items: OrderView[] }>('list_orders', { customer_id: customer }),
      (r) => !r.isError && r.data.items.length === 1 && r.data.items[0].status !== 'pending',
    );
    const order = listed.data.items[0];
    expect(['confirmed', 'failed']).toContain(order.status);
    const state = await productState(platform, product);
    expect(state.stock_reserved).toBe(0);
    const payments = await paymentsOf(platform, order.order_id);
    expect(payments.filter((p) => p.status === 'authorized')).toHaveLength(0);
    if (order.status === 'confirmed') {
      expect(state.stock_on_hand).toBe(2);
      expect(payments.reduce((sum, p) => sum + p.captured_cents - p.refunded_cents, 0)).toBe(4200);
    } else {
      expect(state.stock_on_hand).toBe(3);
      expect(payments.reduce((sum, p) => sum + p.captured_cents - p.refunded_cents, 0)).toBe(0);
    }
  });
});
