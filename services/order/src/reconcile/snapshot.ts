import { CheckOptions, OrderView, PaymentView, ProductView, ReservationView, Snapshot, Violation, checkInvariants } from './invariants';

/** One page of a list tool. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Where a snapshot is read from: one page of each list (orders, reservations,
 * payments, products) and one order by id. The order service reads its own
 * orders and the upstreams' tools; the fleet command reads every service's tools.
 */
export interface ReconcileSource {
  orders(cursor?: string): Promise<Page<OrderView>>;
  reservations(cursor?: string): Promise<Page<ReservationView>>;
  payments(cursor?: string): Promise<Page<PaymentView>>;
  products(cursor?: string): Promise<Page<ProductView>>;
  order(orderId: string): Promise<OrderView | undefined>;
}

export interface ReconcileReport {
  ok: boolean;
  checked_at: string;
  checked: { orders: number; reservations: number; payments: number; products: number };
  violation_count: number;
  violations: Violation[];
}

/** Follows next_cursor to the last page. */
export async function collect<T>(page: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const result = await page(cursor);
    items.push(...result.items);
    cursor = result.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

/**
 * Reads a snapshot in an order that keeps a busy platform from looking
 * inconsistent: orders first (anything placed later is looked up one by one
 * and judged by its own age), products before and after the reservations
 * (a product whose stock moved in between is not judged this time).
 */
export async function readSnapshot(source: ReconcileSource): Promise<Snapshot> {
  const at = new Date();
  const orders = await collect((c) => source.orders(c));
  const before = await collect((c) => source.products(c));
  const [reservations, payments] = [await collect((c) => source.reservations(c)), await collect((c) => source.payments(c))];
  const after = await collect((c) => source.products(c));
  const known = new Set(orders.map((o) => o.order_id));
  const late = new Set([...reservations, ...payments].map((x) => x.order_id).filter((id) => !known.has(id)));
  for (const id of late) {
    const order = await source.order(id);
    if (order) orders.push(order);
  }
  const first = new Map(before.map((p) => [p.product_id, p]));
  const unsettledProducts = new Set(
    after.filter((p) => first.get(p.product_id)?.stock_reserved !== p.stock_reserved || first.get(p.product_id)?.stock_on_hand !== p.stock_on_hand).map((p) => p.product_id),
  );
  return { at, orders, reservations, payments, products: after, unsettledProducts };
}

/** Reads a snapshot from `source` and checks every invariant over it. */
export async function reconcile(source: ReconcileSource, options: CheckOptions): Promise<ReconcileReport> {
  const snapshot = await readSnapshot(source);
  const violations = checkInvariants(snapshot, options);
  return {
    ok: violations.length === 0,
    checked_at: snapshot.at.toISOString(),
    checked: { orders: snapshot.orders.length, reservations: snapshot.reservations.length, payments: snapshot.payments.length, products: snapshot.products.length },
    violation_count: violations.length,
    violations,
  };
}

export type { OrderView, PaymentView, ProductView, ReservationView, Violation, ViolationKind, CheckOptions } from './invariants';
export { checkInvariants } from './invariants';
