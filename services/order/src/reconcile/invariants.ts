/**
 * The platform's cross-service invariants (SPEC, "Invariants users rely on"),
 * checked over one snapshot of orders, reservations, payments and products.
 * Pure: no I/O. The order service's `reconcile_orders` tool and the fleet's
 * `npm run reconcile` command both feed it a snapshot read through the
 * services' MCP tools, so there is one definition of "consistent".
 */

/** An order as list_orders / get_order return it (the fields the checks need). */
export interface OrderView {
  order_id: string;
  status: 'pending' | 'confirmed' | 'failed' | 'cancelled';
  lines: { product_id: string; quantity: number }[];
  total_cents: number | null;
  payment_id: string | null;
  reservation_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A reservation as list_reservations returns it. */
export interface ReservationView {
  reservation_id: string;
  order_id: string;
  status: 'held' | 'committed' | 'released';
  lines: { product_id: string; quantity: number }[];
}

/** A payment as list_payments returns it. */
export interface PaymentView {
  payment_id: string;
  order_id: string;
  status: string;
  captured_cents: number;
  refunded_cents: number;
}

/** A product as search_products returns it. */
export interface ProductView {
  product_id: string;
  stock_on_hand: number;
  stock_reserved: number;
}

export interface Snapshot {
  /** When the orders were read (ages are measured from here). */
  at: Date;
  orders: OrderView[];
  reservations: ReservationView[];
  payments: PaymentView[];
  products: ProductView[];
  /** Products whose stock moved while the snapshot was read: their stock checks are skipped. */
  unsettledProducts?: Set<string>;
}

export type ViolationKind =
  | 'order_pending_too_long'
  | 'money_not_conserved'
  | 'authorization_open'
  | 'reservation_not_committed'
  | 'reservation_held_by_no_live_order'
  | 'stock_not_returned'
  | 'orphan_payment'
  | 'stock_reserved_mismatch'
  | 'stock_not_conserved';

export interface Violation {
  kind: ViolationKind;
  message: string;
  order_id?: string;
  reservation_id?: string;
  payment_id?: string;
  product_id?: string;
}

export interface CheckOptions {
  /**
   * Orders younger than this (pending ones by creation, failed ones by their
   * last change) may still be running or compensating: they are not judged.
   */
  graceMs: number;
  /** Units each product started with (stock conservation needs a baseline: on hand + committed = baseline). */
  stockBaseline?: Map<string, number>;
}

const net = (p: PaymentView) => p.captured_cents - p.refunded_cents;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

/** Every invariant violation in the snapshot, with the ids involved. */
export function checkInvariants(snapshot: Snapshot, options: CheckOptions): Violation[] {
  const violations: Violation[] = [];
  const now = snapshot.at.getTime();
  const orders = new Map(snapshot.orders.map((o) => [o.order_id, o]));
  const paymentsOf = groupBy(snapshot.payments, (p) => p.order_id);
  const reservationsOf = groupBy(snapshot.reservations, (r) => r.order_id);
  // An order still inside its grace period: it may legitimately be half done.
  const settling = (o: OrderView) =>
    (o.status === 'pending' && now - Date.parse(o.created_at) < options.graceMs) || (o.status === 'failed' && now - Date.parse(o.updated_at) < options.graceMs);

  for (const order of snapshot.orders) {
    const id = order.order_id;
    if (order.status === 'pending') {
      const ageS = Math.round((now - Date.parse(order.created_at)) / 1000);
      if (!settling(order)) violations.push({ kind: 'order_pending_too_long', order_id: id, message: `order ${id} is still pending ${ageS} s after it was placed (recovery should have finished or compensated it)` });
      continue;
    }
    if (settling(order)) continue;
    const payments = paymentsOf.get(id) ?? [];
    const paid = payments.reduce((sum, p) => sum + net(p), 0);
    const expected = order.status === 'confirmed' ? (order.total_cents ?? 0) : 0;
    if (paid !== expected) {
      violations.push({
        kind: 'money_not_conserved',
        order_id: id,
        payment_id: payments.map((p) => p.payment_id).join(',') || undefined,
        message: `${order.status} order ${id} should have ${expected} cents captured net of refunds but its payments (${payments.map((p) => `${p.payment_id} ${p.status}`).join(', ') || 'none'}) have ${paid}`,
      });
    }
    if (order.status !== 'confirmed') {
      for (const p of payments.filter((p) => p.status === 'authorized')) {
        violations.push({ kind: 'authorization_open', order_id: id, payment_id: p.payment_id, message: `payment ${p.payment_id} is still authorized although its order ${id} is ${order.status} (it should have been voided)` });
      }
    }
    const reservations = reservationsOf.get(id) ?? [];
    if (order.status === 'confirmed' && reservations.length === 0) {
      violations.push({ kind: 'reservation_not_committed', order_id: id, message: `order ${id} is confirmed but has no reservation` });
    }
    for (const r of reservations) {
      if (order.status === 'confirmed' && r.status !== 'committed') {
        violations.push({ kind: 'reservation_not_committed', order_id: id, reservation_id: r.reservation_id, message: `order ${id} is confirmed but its reservation ${r.reservation_id} is ${r.status}` });
      } else if (order.status !== 'confirmed' && r.status === 'held') {
        violations.push({ kind: 'reservation_held_by_no_live_order', order_id: id, reservation_id: r.reservation_id, message: `reservation ${r.reservation_id} still holds stock for ${order.status} order ${id}` });
      } else if (order.status !== 'confirmed' && r.status === 'committed') {
        violations.push({ kind: 'stock_not_returned', order_id: id, reservation_id: r.reservation_id, message: `reservation ${r.reservation_id} of ${order.status} order ${id} is committed: its units left stock without a sale` });
      }
    }
  }

  // Reservations and payments whose order the snapshot does not know.
  for (const r of snapshot.reservations) {
    if (!orders.has(r.order_id) && r.status !== 'released') {
      violations.push({ kind: 'reservation_held_by_no_live_order', reservation_id: r.reservation_id, order_id: r.order_id, message: `reservation ${r.reservation_id} is ${r.status} for order ${r.order_id}, which does not exist` });
    }
  }
  for (const p of snapshot.payments) {
    if (!orders.has(p.order_id) && (net(p) !== 0 || p.status === 'authorized')) {
      violations.push({ kind: 'orphan_payment', payment_id: p.payment_id, order_id: p.order_id, message: `payment ${p.payment_id} (${p.status}, ${net(p)} cents net) belongs to order ${p.order_id}, which does not exist` });
    }
  }

  // Stock: reserved units are exactly the held reservations; with a baseline, on hand + committed is conserved.
  const held = new Map<string, number>();
  const committed = new Map<string, number>();
  for (const r of snapshot.reservations) {
    const into = r.status === 'held' ? held : r.status === 'committed' ? committed : undefined;
    for (const l of into ? r.lines : []) into!.set(l.product_id, (into!.get(l.product_id) ?? 0) + l.quantity);
  }
  for (const p of snapshot.products) {
    if (snapshot.unsettledProducts?.has(p.product_id)) continue;
    const h = held.get(p.product_id) ?? 0;
    if (p.stock_reserved !== h) {
      violations.push({ kind: 'stock_reserved_mismatch', product_id: p.product_id, message: `product ${p.product_id} shows ${p.stock_reserved} units reserved but its held reservations add up to ${h}` });
    }
    const baseline = options.stockBaseline?.get(p.product_id);
    const c = committed.get(p.product_id) ?? 0;
    if (baseline !== undefined && p.stock_on_hand + c !== baseline) {
      violations.push({ kind: 'stock_not_conserved', product_id: p.product_id, message: `product ${p.product_id}: ${p.stock_on_hand} on hand + ${c} committed = ${p.stock_on_hand + c}, but it started with ${baseline} (oversold or lost units)` });
    }
  }
  return violations;
}
