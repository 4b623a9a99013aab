import { eq } from 'drizzle-orm';
import { startInProcess, InProcessService } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';
import { products } from '../src/product.schema';
import { COMMIT_RESERVATION, LIST_RESERVATIONS, RELEASE_RESERVATION, RESERVE_INVENTORY } from '../src/product.tools';
import type { Reservation } from '../src/reservation.repository';
import { newProduct, orderId, reserve, stockOf } from './helpers';

let svc: InProcessService<Awaited<ReturnType<typeof createProductService>>>;

beforeAll(async () => {
  svc = await startInProcess('product', createProductService);
});
afterAll(() => svc.stop());

const call = (name: string, args: Record<string, unknown>) => svc.client.call<Reservation>(name, args);

describe('reserve_inventory', () => {
  it('holds every line and prices the reservation', async () => {
    const mug = await newProduct(svc.client, { price_cents: 1400, stock: 10 });
    const pan = await newProduct(svc.client, { price_cents: 3400, stock: 3 });
    const order = orderId();
    const result = await call(RESERVE_INVENTORY, { order_id: order, items: [{ product_id: pan.product_id, quantity: 3 }, { product_id: mug.product_id, quantity: 2 }] });
    expect(result.isError).toBe(false);
    expect(result.data).toEqual({
      reservation_id: expect.stringMatching(/^res_[a-z0-9]+$/),
      order_id: order,
      status: 'held',
      lines: expect.arrayContaining([
        { product_id: mug.product_id, quantity: 2, unit_price_cents: 1400, currency: 'USD' },
        { product_id: pan.product_id, quantity: 3, unit_price_cents: 3400, currency: 'USD' },
      ]),
      total_cents: 2 * 1400 + 3 * 3400,
      currency: 'USD',
    });
    expect(await stockOf(svc.client, mug.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 2, stock_available: 8 });
    expect(await stockOf(svc.client, pan.product_id)).toEqual({ stock_on_hand: 3, stock_reserved: 3, stock_available: 0 });
  });

  it('answers INSUFFICIENT_STOCK with the short lines and holds nothing when one line of several is short', async () => {
    const plenty = await newProduct(svc.client, { stock: 50 });
    const scarce = await newProduct(svc.client, { stock: 2 });
    const result = await call(RESERVE_INVENTORY, { order_id: orderId(), items: [{ product_id: plenty.product_id, quantity: 5 }, { product_id: scarce.product_id, quantity: 3 }] });
    expect(result.isError).toBe(true);
    expect(result.error).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { lines: [{ product_id: scarce.product_id, requested: 3, available: 2 }] } });
    expect(await stockOf(svc.client, plenty.product_id)).toEqual({ stock_on_hand: 50, stock_reserved: 0, stock_available: 50 });
    expect(await stockOf(svc.client, scarce.product_id)).toEqual({ stock_on_hand: 2, stock_reserved: 0, stock_available: 2 });
  });

  it('lets the same order_id try again after a failed attempt', async () => {
    const product = await newProduct(svc.client, { stock: 1 });
    const order = orderId();
    expect((await call(RESERVE_INVENTORY, { order_id: order, items: [{ product_id: product.product_id, quantity: 2 }] })).error?.code).toBe('INSUFFICIENT_STOCK');
    const retry = await call(RESERVE_INVENTORY, { order_id: order, items: [{ product_id: product.product_id, quantity: 1 }] });
    expect(retry.data).toMatchObject({ order_id: order, status: 'held', total_cents: 1250 });
  });

  it('answers NOT_FOUND naming the unknown products and holds nothing', async () => {
    const known = await newProduct(svc.client, { stock: 5 });
    const result = await call(RESERVE_INVENTORY, { order_id: orderId(), items: [{ product_id: known.product_id, quantity: 1 }, { product_id: 'prd_ghost', quantity: 1 }] });
    expect(result.error).toMatchObject({ code: 'NOT_FOUND', details: { ids: ['prd_ghost'] } });
    expect((await stockOf(svc.client, known.product_id)).stock_reserved).toBe(0);
  });

  it('refuses a discontinued product with CONFLICT', async () => {
    const product = await newProduct(svc.client, { stock: 5 });
    await svc.service.db.update(products).set({ active: false }).where(eq(products.id, product.product_id));
    const result = await call(RESERVE_INVENTORY, { order_id: orderId(), items: [{ product_id: product.product_id, quantity: 1 }] });
    expect(result.error).toMatchObject({ code: 'CONFLICT', details: { inactive_product_ids: [product.product_id] } });
  });

  it('refuses products in different currencies with VALIDATION_ERROR and holds nothing', async () => {
    const usd = await newProduct(svc.client, { stock: 5 });
    const eur = await newProduct(svc.client, { stock: 5, currency: 'EUR' });
    const result = await call(RESERVE_INVENTORY, { order_id: orderId(), items: [{ product_id: usd.product_id, quantity: 1 }, { product_id: eur.product_id, quantity: 1 }] });
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'items' } });
    expect((await stockOf(svc.client, usd.product_id)).stock_reserved).toBe(0);
  });

  it.each([
    ['a repeated product_id', (p: string) => ({ order_id: orderId(), items: [{ product_id: p, quantity: 1 }, { product_id: p, quantity: 2 }] }), 'items'],
    ['a zero quantity', (p: string) => ({ order_id: orderId(), items: [{ product_id: p, quantity: 0 }] }), 'items.0.quantity'],
    ['no items', () => ({ order_id: orderId(), items: [] }), 'items'],
    ['an order id of another type', (p: string) => ({ order_id: 'cus_abc', items: [{ product_id: p, quantity: 1 }] }), 'order_id'],
  ])('rejects %s with VALIDATION_ERROR', async (_what, args, path) => {
    const result = await call(RESERVE_INVENTORY, args('prd_abc'));
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
  });
});

describe('reserve_inventory idempotency and concurrency', () => {
  it('returns the same reservation for the same order_id and holds stock once', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    const order = orderId();
    const first = await reserve(svc.client, [{ product_id: product.product_id, quantity: 3 }], order);
    const second = await reserve(svc.client, [{ product_id: product.product_id, quantity: 3 }], order);
    expect(second).toEqual(first);
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 3, stock_available: 7 });
  });

  it('returns one reservation for the same order_id sent twice concurrently', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    const order = orderId();
    const both = await Promise.all([0, 1].map(() => reserve(svc.client, [{ product_id: product.product_id, quantity: 4 }], order)));
    expect(both[1].reservation_id).toBe(both[0].reservation_id);
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 4, stock_available: 6 });
  });

  it('holds exactly the last 5 units when 20 orders race for them', async () => {
    const product = await newProduct(svc.client, { stock: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => call(RESERVE_INVENTORY, { order_id: orderId(), items: [{ product_id: product.product_id, quantity: 1 }] })));
    expect(results.filter((r) => !r.isError)).toHaveLength(5);
    expect(results.filter((r) => r.isError).map((r) => r.error?.code)).toEqual(Array(15).fill('INSUFFICIENT_STOCK'));
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 5, stock_reserved: 5, stock_available: 0 });
  });

  it('reserves and commits multi-line orders listing the same products in opposite orders without deadlock', async () => {
    const a = await newProduct(svc.client, { stock: 100 });
    const b = await newProduct(svc.client, { stock: 100 });
    const items = (i: number) => (i % 2 ? [a, b] : [b, a]).map((p) => ({ product_id: p.product_id, quantity: 1 }));
    const held = await Promise.all(Array.from({ length: 12 }, (_, i) => call(RESERVE_INVENTORY, { order_id: orderId(), items: items(i) })));
    expect(held.filter((r) => r.isError)).toEqual([]);
    const committed = await Promise.all(held.map((r) => call(COMMIT_RESERVATION, { reservation_id: r.data.reservation_id })));
    expect(committed.map((r) => r.data.status)).toEqual(Array(12).fill('committed'));
    for (const p of [a, b]) expect(await stockOf(svc.client, p.product_id)).toEqual({ stock_on_hand: 88, stock_reserved: 0, stock_available: 88 });
  });
});

describe('release_reservation and commit_reservation', () => {
  async function held(stock: number, quantity: number) {
    const product = await newProduct(svc.client, { stock });
    const reservation = await reserve(svc.client, [{ product_id: product.product_id, quantity }]);
    return { productId: product.product_id, reservationId: reservation.reservation_id };
  }

  it('release gives held stock back and repeating it changes nothing', async () => {
    const { productId, reservationId } = await held(10, 4);
    const released = await call(RELEASE_RESERVATION, { reservation_id: reservationId });
    expect(released.data).toMatchObject({ reservation_id: reservationId, status: 'released', total_cents: 4 * 1250 });
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
    const again = await call(RELEASE_RESERVATION, { reservation_id: reservationId });
    expect(again.data).toEqual(released.data);
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
  });

  it('commit takes the units out of stock on hand and repeating it changes nothing', async () => {
    const { productId, reservationId } = await held(10, 4);
    const committed = await call(COMMIT_RESERVATION, { reservation_id: reservationId });
    expect(committed.data).toMatchObject({ reservation_id: reservationId, status: 'committed' });
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 6, stock_reserved: 0, stock_available: 6 });
    const again = await call(COMMIT_RESERVATION, { reservation_id: reservationId });
    expect(again.data).toEqual(committed.data);
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 6, stock_reserved: 0, stock_available: 6 });
  });

  it('release of a committed reservation restocks the units once', async () => {
    const { productId, reservationId } = await held(10, 4);
    await call(COMMIT_RESERVATION, { reservation_id: reservationId });
    const released = await call(RELEASE_RESERVATION, { reservation_id: reservationId });
    expect(released.data.status).toBe('released');
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
    await call(RELEASE_RESERVATION, { reservation_id: reservationId });
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
  });

  it('refuses to commit a released reservation with CONFLICT', async () => {
    const { productId, reservationId } = await held(10, 4);
    await call(RELEASE_RESERVATION, { reservation_id: reservationId });
    const result = await call(COMMIT_RESERVATION, { reservation_id: reservationId });
    expect(result.error).toMatchObject({ code: 'CONFLICT', details: { status: 'released' } });
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
  });

  it('concurrent commits of one reservation take the stock once', async () => {
    const { productId, reservationId } = await held(10, 3);
    const results = await Promise.all([0, 1, 2].map(() => call(COMMIT_RESERVATION, { reservation_id: reservationId })));
    expect(results.map((r) => r.data.status)).toEqual(['committed', 'committed', 'committed']);
    expect(await stockOf(svc.client, productId)).toEqual({ stock_on_hand: 7, stock_reserved: 0, stock_available: 7 });
  });

  it('answers NOT_FOUND for an unknown reservation', async () => {
    for (const tool of [RELEASE_RESERVATION, COMMIT_RESERVATION]) {
      const result = await call(tool, { reservation_id: 'res_unknown' });
      expect(result.error).toMatchObject({ code: 'NOT_FOUND', details: { id: 'res_unknown' } });
    }
  });

  it('same order_id after release returns the released reservation and holds nothing', async () => {
    const product = await newProduct(svc.client, { stock: 5 });
    const order = orderId();
    const first = await reserve(svc.client, [{ product_id: product.product_id, quantity: 2 }], order);
    await call(RELEASE_RESERVATION, { reservation_id: first.reservation_id });
    const again = await reserve(svc.client, [{ product_id: product.product_id, quantity: 2 }], order);
    expect(again).toMatchObject({ reservation_id: first.reservation_id, status: 'released' });
    expect((await stockOf(svc.client, product.product_id)).stock_reserved).toBe(0);
  });
});

describe('list_reservations', () => {
  it('lists reservations with their lines, filtered by order_id and by status, page by page', async () => {
    const product = await newProduct(svc.client, { stock: 20 });
    const orders = [orderId(), orderId(), orderId()];
    const made = [];
    for (const order of orders) made.push(await reserve(svc.client, [{ product_id: product.product_id, quantity: 2 }], order));
    await call(COMMIT_RESERVATION, { reservation_id: made[1].reservation_id });
    await call(RELEASE_RESERVATION, { reservation_id: made[2].reservation_id });

    const one = await svc.client.ok<{ items: Reservation[]; next_cursor: string | null }>(LIST_RESERVATIONS, { order_id: orders[1] });
    expect(one).toEqual({ items: [{ ...made[1], status: 'committed' }], next_cursor: null });

    const pages = await svc.client.pages<Reservation>(LIST_RESERVATIONS, { status: 'held', limit: 1 });
    const held = pages.flatMap((p) => p.items);
    expect(pages.length).toBe(held.length); // one per page
    expect(held.map((r) => r.reservation_id)).toContain(made[0].reservation_id);
    expect(held.every((r) => r.status === 'held')).toBe(true);
    expect(held.map((r) => r.reservation_id)).not.toContain(made[1].reservation_id);
  });

  it('rejects an unknown status and a foreign cursor with VALIDATION_ERROR', async () => {
    expect((await call(LIST_RESERVATIONS, { status: 'lost' })).error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'status' } });
    expect((await call(LIST_RESERVATIONS, { cursor: 'abc.def' })).error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'cursor' } });
  });
});
