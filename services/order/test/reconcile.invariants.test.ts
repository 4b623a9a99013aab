import { OrderView, PaymentView, ProductView, ReservationView, Snapshot, checkInvariants } from '../src/reconcile/invariants';
import { ReconcileSource, collect, reconcile } from '../src/reconcile/snapshot';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();
const GRACE = { graceMs: 60_000 };

function order(id: string, status: OrderView['status'], extra: Partial<OrderView> = {}): OrderView {
  return { order_id: id, status, lines: [{ product_id: 'prd_a', quantity: 2 }], total_cents: 1000, payment_id: `pay_${id}`, reservation_id: `res_${id}`, created_at: ago(600), updated_at: ago(600), ...extra };
}
const reservation = (orderId: string, status: ReservationView['status'], quantity = 2): ReservationView => ({ reservation_id: `res_${orderId}`, order_id: orderId, status, lines: [{ product_id: 'prd_a', quantity }] });
const payment = (orderId: string, status: string, captured: number, refunded = 0): PaymentView => ({ payment_id: `pay_${orderId}`, order_id: orderId, status, captured_cents: captured, refunded_cents: refunded });
const product = (onHand: number, reserved: number): ProductView => ({ product_id: 'prd_a', stock_on_hand: onHand, stock_reserved: reserved });

function snapshot(parts: Partial<Snapshot>): Snapshot {
  return { at: NOW, orders: [], reservations: [], payments: [], products: [], ...parts };
}

/** A consistent platform: one confirmed, one failed, one cancelled order; 10 units to start with. */
function healthy(): Snapshot {
  return snapshot({
    orders: [order('o1', 'confirmed'), order('o2', 'failed'), order('o3', 'cancelled')],
    reservations: [reservation('o1', 'committed'), reservation('o2', 'released'), reservation('o3', 'released')],
    payments: [payment('o1', 'captured', 1000), payment('o2', 'voided', 0), payment('o3', 'refunded', 1000, 1000)],
    products: [product(8, 0)],
  });
}
const kinds = (s: Snapshot, options: Parameters<typeof checkInvariants>[1] = GRACE) => checkInvariants(s, options).map((v) => v.kind);

describe('checkInvariants', () => {
  it('finds nothing on a consistent platform, including the stock baseline', () => {
    expect(checkInvariants(healthy(), { ...GRACE, stockBaseline: new Map([['prd_a', 10]]) })).toEqual([]);
  });

  it('reports a captured payment on a failed order and an authorization left open, with the ids', () => {
    const s = healthy();
    s.payments = [payment('o1', 'captured', 1000), payment('o2', 'captured', 1000), payment('o3', 'authorized', 0)];
    const violations = checkInvariants(s, GRACE);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'money_not_conserved', order_id: 'o2', payment_id: 'pay_o2' }),
        expect.objectContaining({ kind: 'authorization_open', order_id: 'o3', payment_id: 'pay_o3' }),
      ]),
    );
  });

  it('reports a confirmed order charged twice or not at all', () => {
    const s = healthy();
    s.payments = [...s.payments, { ...payment('o1', 'captured', 1000), payment_id: 'pay_second' }];
    expect(kinds(s)).toEqual(['money_not_conserved']);
    s.payments = s.payments.filter((p) => p.order_id !== 'o1');
    expect(checkInvariants(s, GRACE)[0]).toMatchObject({ kind: 'money_not_conserved', order_id: 'o1', message: expect.stringContaining('none') });
  });

  it('reports stock held or committed for orders that are not live, and a confirmed order whose stock is not committed', () => {
    const s = healthy();
    s.reservations = [reservation('o1', 'held'), reservation('o2', 'held'), reservation('o3', 'committed')];
    s.products = [product(8, 4)];
    expect(kinds(s).sort()).toEqual(['reservation_held_by_no_live_order', 'reservation_not_committed', 'stock_not_returned']);
    s.reservations = s.reservations.filter((r) => r.order_id !== 'o1');
    expect(kinds(s)).toContain('reservation_not_committed');
  });

  it('reports reservations and payments of orders that do not exist', () => {
    const s = healthy();
    s.reservations.push(reservation('ghost', 'held', 1));
    s.payments.push(payment('ghost', 'authorized', 0));
    s.products = [product(8, 1)];
    expect(checkInvariants(s, GRACE)).toEqual([
      expect.objectContaining({ kind: 'reservation_held_by_no_live_order', reservation_id: 'res_ghost', order_id: 'ghost' }),
      expect.objectContaining({ kind: 'orphan_payment', payment_id: 'pay_ghost', order_id: 'ghost' }),
    ]);
  });

  it('reports reserved stock that does not match the held reservations, and oversold stock against a baseline', () => {
    const s = healthy();
    s.products = [product(8, 3)];
    expect(kinds(s)).toEqual(['stock_reserved_mismatch']);
    s.products = [product(9, 0)];
    expect(checkInvariants(s, { ...GRACE, stockBaseline: new Map([['prd_a', 10]]) })).toEqual([expect.objectContaining({ kind: 'stock_not_conserved', product_id: 'prd_a' })]);
    s.unsettledProducts = new Set(['prd_a']);
    expect(kinds(s, { ...GRACE, stockBaseline: new Map([['prd_a', 10]]) })).toEqual([]);
  });

  it('leaves orders inside the grace period alone and reports them once it is over', () => {
    const young = snapshot({
      orders: [order('p1', 'pending', { created_at: ago(5) }), order('f1', 'failed', { updated_at: ago(5) })],
      reservations: [reservation('p1', 'held'), reservation('f1', 'held')],
      payments: [payment('f1', 'authorized', 0)],
      products: [product(10, 4)],
    });
    expect(checkInvariants(young, GRACE)).toEqual([]);
    expect(kinds(young, { graceMs: 0 }).sort()).toEqual(['authorization_open', 'order_pending_too_long', 'reservation_held_by_no_live_order']);
  });
});

describe('reconcile over a source', () => {
  const pages = <T>(items: T[]) => async (cursor?: string) => {
    const start = cursor ? Number(cursor) : 0;
    return { items: items.slice(start, start + 2), next_cursor: start + 2 < items.length ? String(start + 2) : null };
  };

  it('follows every page and looks up orders placed after the orders were read', async () => {
    const s = healthy();
    const late = order('late', 'pending', { created_at: new Date(Date.now() + 1000).toISOString() });
    const source: ReconcileSource = {
      orders: pages(s.orders),
      reservations: pages([...s.reservations, reservation('late', 'held', 1)]),
      payments: pages(s.payments),
      products: pages([product(8, 1)]),
      order: async (id) => (id === 'late' ? late : undefined),
    };
    expect(await collect(source.orders)).toHaveLength(3);
    const report = await reconcile(source, GRACE);
    expect(report).toMatchObject({ ok: true, violation_count: 0, checked: { orders: 4, reservations: 4, payments: 3, products: 1 } });
  });
});
