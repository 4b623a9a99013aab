import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { AppDatabase, ToolError, conflict, newId, notFound, validationError } from '@fedmcp/service-kit';
import { ReservationLineRow, ReservationRow, ReservationStatus, products, reservationLines, reservations, schema } from './product.schema';
import { SEARCH_HINT } from './product.repository';
import type { ReserveItem } from './product.types';

/** A reservation as tools return it. */
export interface Reservation {
  reservation_id: string;
  order_id: string;
  status: ReservationStatus;
  lines: { product_id: string; quantity: number; unit_price_cents: number; currency: string }[];
  total_cents: number;
  currency: string;
}

/** The outcome of a write: the reservation and the products whose stock changed (for cache invalidation). */
export interface ReservationChange {
  reservation: Reservation;
  touched: string[];
}

type Db = AppDatabase<typeof schema>;
/** The handle inside `db.transaction(…)`: every query of a transaction goes through it (PGlite has one connection). */
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const RESERVATION_HINT = 'Use the reservation_id returned by reserve_inventory, or call reserve_inventory again with the same order_id to get it.';

function toReservation(row: ReservationRow, lines: ReservationLineRow[]): Reservation {
  return {
    reservation_id: row.id,
    order_id: row.orderId,
    status: row.status,
    lines: lines.map((l) => ({ product_id: l.productId, quantity: l.quantity, unit_price_cents: Number(l.unitPriceCents), currency: l.currency })),
    total_cents: Number(row.totalCents),
    currency: row.currency,
  };
}

async function linesOf(tx: Tx, reservationId: string): Promise<ReservationLineRow[]> {
  return tx.select().from(reservationLines).where(eq(reservationLines.reservationId, reservationId)).orderBy(asc(reservationLines.productId));
}

async function available(tx: Tx, productId: string): Promise<number> {
  const [row] = await tx.select({ n: sql<number>`${products.stockOnHand} - ${products.stockReserved}` }).from(products).where(eq(products.id, productId));
  return Math.max(0, Number(row?.n ?? 0));
}

/** Checks every requested product exists, is active and shares one currency (before any stock moves). */
async function checkProducts(tx: Tx, items: ReserveItem[]): Promise<void> {
  const ids = items.map((i) => i.product_id);
  const rows = await tx.select({ id: products.id, active: products.active, currency: products.currency }).from(products).where(inArray(products.id, ids));
  const found = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) {
    throw new ToolError('NOT_FOUND', `No product with id ${missing.map((id) => `"${id}"`).join(', ')}. ${SEARCH_HINT} Nothing was reserved.`, { ids: missing });
  }
  const inactive = rows.filter((r) => !r.active).map((r) => r.id);
  if (inactive.length) {
    throw conflict(`Product ${inactive.map((id) => `"${id}"`).join(', ')} is discontinued (active: false) and cannot be reserved. Remove it from items and call again. Nothing was reserved.`, { inactive_product_ids: inactive });
  }
  const currencies = [...new Set(rows.map((r) => r.currency))];
  if (currencies.length > 1) {
    throw validationError(`The products are priced in different currencies (${currencies.join(', ')}); one reservation must use a single currency. Split the items into separate reservations (separate orders) by currency.`, {
      path: 'items',
      currencies: Object.fromEntries(rows.map((r) => [r.id, r.currency])),
    });
  }
}

export class ReservationRepository {
  constructor(private readonly db: Db) {}

  /**
   * Holds stock for every item or for none, in one transaction. The
   * reservation row goes in first (ON CONFLICT on the unique order_id), so a
   * repeat of the same order_id, also a concurrent one, gets the existing
   * reservation and holds nothing more.
   */
  async reserve(orderId: string, items: ReserveItem[]): Promise<ReservationChange> {
    return this.db.transaction(async (tx) => {
      const id = newId('res');
      const [inserted] = await tx.insert(reservations).values({ id, orderId, status: 'held' }).onConflictDoNothing({ target: reservations.orderId }).returning({ id: reservations.id });
      if (!inserted) {
        const [existing] = await tx.select().from(reservations).where(eq(reservations.orderId, orderId)).limit(1);
        return { reservation: toReservation(existing, await linesOf(tx, existing.id)), touched: [] };
      }

      await checkProducts(tx, items);
      // One lock order (by product id) for every transaction, so multi-line reservations cannot deadlock.
      const sorted = [...items].sort((a, b) => (a.product_id < b.product_id ? -1 : 1));
      const held: { productId: string; quantity: number; unitPriceCents: number; currency: string }[] = [];
      const short: { product_id: string; requested: number; available: number }[] = [];
      for (const item of sorted) {
        if (short.length) {
          // Already failing: only report, take no more locks.
          const n = await available(tx, item.product_id);
          if (n < item.quantity) short.push({ product_id: item.product_id, requested: item.quantity, available: n });
          continue;
        }
        const [row] = await tx
          .update(products)
          .set({ stockReserved: sql`${products.stockReserved} + ${item.quantity}`, updatedAt: sql`now()` })
          .where(and(eq(products.id, item.product_id), eq(products.active, true), sql`${products.stockOnHand} - ${products.stockReserved} >= ${item.quantity}`))
          .returning({ priceCents: products.priceCents, currency: products.currency });
        if (row) held.push({ productId: item.product_id, quantity: item.quantity, unitPriceCents: Number(row.priceCents), currency: row.currency });
        else short.push({ product_id: item.product_id, requested: item.quantity, available: await available(tx, item.product_id) });
      }
      if (short.length) {
        // Throwing rolls back the whole transaction: the reservation row and every line held so far.
        const list = short.map((s) => `${s.product_id} (requested ${s.requested}, available ${s.available})`).join(', ');
        throw new ToolError('INSUFFICIENT_STOCK', `Not enough stock for ${list}. Nothing was reserved. Lower those quantities to at most the available units, or remove the lines, and call again.`, { lines: short });
      }

      await tx.insert(reservationLines).values(held.map((h) => ({ reservationId: id, ...h })));
      const total = held.reduce((sum, h) => sum + h.quantity * h.unitPriceCents, 0);
      const [row] = await tx.update(reservations).set({ totalCents: total, currency: held[0].currency }).where(eq(reservations.id, id)).returning();
      return { reservation: toReservation(row, await linesOf(tx, id)), touched: held.map((h) => h.productId) };
    });
  }

  /** held → released gives reserved stock back; committed → released puts the units back on hand. Released stays released. */
  release(id: string): Promise<ReservationChange> {
    return this.transition(id, 'released');
  }

  /** held → committed takes the units out of on-hand and reserved. Committed stays committed; released → CONFLICT. */
  commit(id: string): Promise<ReservationChange> {
    return this.transition(id, 'committed');
  }

  private transition(id: string, target: 'released' | 'committed'): Promise<ReservationChange> {
    return this.db.transaction(async (tx) => {
      // The row lock serialises concurrent release/commit calls on one reservation.
      const [row] = await tx.select().from(reservations).where(eq(reservations.id, id)).for('update');
      if (!row) throw notFound('reservation', id, RESERVATION_HINT);
      const lines = await linesOf(tx, id);
      if (row.status === target) return { reservation: toReservation(row, lines), touched: [] };
      if (target === 'committed' && row.status === 'released') {
        throw conflict(`Reservation "${id}" was released; its stock is no longer held, so it cannot be committed. Reserve again (with a new order_id) if the order should still go ahead.`, { reservation_id: id, status: row.status });
      }
      const change =
        target === 'committed'
          ? (q: number) => ({ stockOnHand: sql`${products.stockOnHand} - ${q}`, stockReserved: sql`${products.stockReserved} - ${q}` })
          : row.status === 'held'
            ? (q: number) => ({ stockReserved: sql`${products.stockReserved} - ${q}` })
            : (q: number) => ({ stockOnHand: sql`${products.stockOnHand} + ${q}` }); // committed → released: restock
      for (const line of lines) {
        await tx
          .update(products)
          .set({ ...change(line.quantity), updatedAt: sql`now()` })
          .where(eq(products.id, line.productId));
      }
      const [updated] = await tx.update(reservations).set({ status: target, updatedAt: sql`now()` }).where(eq(reservations.id, id)).returning();
      return { reservation: toReservation(updated, lines), touched: lines.map((l) => l.productId) };
    });
  }
}
