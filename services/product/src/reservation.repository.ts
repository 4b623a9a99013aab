import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { AppDatabase, CursorCodec, ToolError, Transact, conflict, executeRows, keysetPage, newId, notFound, statement, validationError } from '@fedmcp/service-kit';
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
/** The handle inside a transaction: every query of a transaction goes through it (PGlite has one connection). */
type Tx = AppDatabase<typeof schema>;

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

// The statements of the order path, built once (`statement`): their values are placeholders.
const lockReservation = statement<{ id: string }, ReservationRow[]>('lock_reservation', (db) =>
  db.select().from(reservations).where(eq(reservations.id, sql.placeholder('id'))).for('update'),
);

/** A reservation's lines, with their products locked in the one lock order (by id) every stock change uses. */
const lockLines = statement<{ id: string }, ReservationLineRow[]>('lock_reservation_lines', (db) =>
  db
    .select({ reservationId: reservationLines.reservationId, productId: reservationLines.productId, quantity: reservationLines.quantity, unitPriceCents: reservationLines.unitPriceCents, currency: reservationLines.currency })
    .from(reservationLines)
    .innerJoin(products, eq(products.id, reservationLines.productId))
    .where(eq(reservationLines.reservationId, sql.placeholder('id')))
    .orderBy(asc(reservationLines.productId))
    .for('update', { of: products }),
);

/** A requested product as locked for the reservation. */
interface LockedProduct {
  id: string;
  active: boolean;
  currency: string;
  priceCents: number;
  available: number;
}

const createAndLockStatement = statement<{ id: string; order_id: string; ids: string[] }, (LockedProduct & { created: boolean })[]>('create_and_lock_reservation', (db) => {
  const inserted = db
    .$with('inserted')
    .as(db.insert(reservations).values({ id: sql.placeholder('id'), orderId: sql.placeholder('order_id'), status: 'held' }).onConflictDoNothing({ target: reservations.orderId }).returning({ id: reservations.id }));
  return db
    .with(inserted)
    .select({
      id: products.id,
      active: products.active,
      currency: products.currency,
      priceCents: products.priceCents,
      available: sql<number>`${products.stockOnHand} - ${products.stockReserved}`,
      created: sql<boolean>`exists (select 1 from ${inserted})`,
    })
    .from(products)
    .where(sql`${products.id} = any(${sql.placeholder('ids')}::text[])`)
    .orderBy(asc(products.id))
    .for('update', { of: products });
});

/**
 * Inserts the reservation row unless the order has one (ON CONFLICT on the
 * unique order_id), then locks every requested product, in one lock order
 * (by product id) for every transaction so multi-line reservations cannot
 * deadlock, and reads what the reservation needs: one round trip whatever
 * the number of lines. `created` says whether the row went in; it is
 * repeated on every product row (and unknown when no product exists, which
 * fails the call as NOT_FOUND anyway).
 */
async function createAndLock(tx: Tx, row: { id: string; orderId: string }, ids: string[]): Promise<{ created: boolean; locked: LockedProduct[] }> {
  const rows = await createAndLockStatement(tx, { id: row.id, order_id: row.orderId, ids });
  return { created: rows.length === 0 || rows[0].created, locked: rows };
}

/** Checks every requested product exists, is active and shares one currency (before any stock moves). */
function checkProducts(rows: LockedProduct[], ids: string[]): void {
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

/** `(id, quantity)` rows for a VALUES list. */
const quantities = (lines: { productId: string; quantity: number }[]) => sql.join(lines.map((l) => sql`(${l.productId}::text, ${l.quantity}::int)`), sql`, `);

export class ReservationRepository {
  private readonly cursors = new CursorCodec('product:reservations');

  constructor(private readonly db: Db) {}

  /** One page of reservations (oldest first), optionally of one order and/or in one status, with their lines. */
  async list(input: { order_id?: string; status?: ReservationStatus; limit: number; cursor?: string }): Promise<{ items: Reservation[]; next_cursor: string | null }> {
    const filters = [input.order_id ? eq(reservations.orderId, input.order_id) : undefined, input.status ? eq(reservations.status, input.status) : undefined];
    const page = await keysetPage(this.db, reservations, filters, input, this.cursors, (row) => row);
    const ids = page.items.map((r) => r.id);
    const lines = ids.length ? await this.db.select().from(reservationLines).where(inArray(reservationLines.reservationId, ids)).orderBy(asc(reservationLines.productId)) : [];
    const byReservation = new Map<string, ReservationLineRow[]>();
    for (const line of lines) byReservation.set(line.reservationId, [...(byReservation.get(line.reservationId) ?? []), line]);
    return { items: page.items.map((row) => toReservation(row, byReservation.get(row.id) ?? [])), next_cursor: page.next_cursor };
  }

  /**
   * Holds stock for every item or for none, in one transaction. The
   * reservation row goes in first (ON CONFLICT on the unique order_id), so a
   * repeat of the same order_id, also a concurrent one, gets the existing
   * reservation and holds nothing more.
   */
  async reserve(orderId: string, items: ReserveItem[], transact: Transact): Promise<ReservationChange> {
    return transact(async (tx, touch) => {
      const id = newId('res');
      const sorted = [...items].sort((a, b) => (a.product_id < b.product_id ? -1 : 1));
      const { created, locked } = await createAndLock(tx, { id, orderId }, sorted.map((i) => i.product_id));
      if (!created) {
        const [existing] = await tx.select().from(reservations).where(eq(reservations.orderId, orderId)).limit(1);
        touch(existing.id);
        return { reservation: toReservation(existing, await linesOf(tx, existing.id)), touched: [] };
      }
      checkProducts(locked, sorted.map((i) => i.product_id));
      const byId = new Map(locked.map((r) => [r.id, r]));
      // The rows are locked: what they say stays true until commit.
      const short = sorted
        .map((item) => ({ product_id: item.product_id, requested: item.quantity, available: Math.max(0, Number(byId.get(item.product_id)!.available)) }))
        .filter((s) => s.available < s.requested);
      if (short.length) {
        // Throwing rolls back the whole transaction, the reservation row included.
        const list = short.map((s) => `${s.product_id} (requested ${s.requested}, available ${s.available})`).join(', ');
        throw new ToolError('INSUFFICIENT_STOCK', `Not enough stock for ${list}. Nothing was reserved. Lower those quantities to at most the available units, or remove the lines, and call again.`, { lines: short });
      }
      const held = sorted.map((item) => {
        const row = byId.get(item.product_id)!;
        return { productId: item.product_id, quantity: item.quantity, unitPriceCents: Number(row.priceCents), currency: row.currency };
      });
      const total = held.reduce((sum, h) => sum + h.quantity * h.unitPriceCents, 0);
      const currency = held[0].currency;
      const lineValues = sql.join(held.map((h) => sql`(${id}, ${h.productId}, ${h.quantity}::int, ${h.unitPriceCents}::bigint, ${h.currency})`), sql`, `);
      // Stock held, lines written and the total set in one statement.
      await executeRows(
        tx,
        sql`with held as (
          update products p set stock_reserved = p.stock_reserved + v.quantity, updated_at = now()
          from (values ${quantities(held)}) as v(id, quantity) where p.id = v.id
        ), lines as (
          insert into reservation_lines (reservation_id, product_id, quantity, unit_price_cents, currency) values ${lineValues}
        )
        update reservations set total_cents = ${total}, currency = ${currency} where id = ${id}`,
      );
      const reservation: Reservation = {
        reservation_id: id,
        order_id: orderId,
        status: 'held',
        lines: held.map((h) => ({ product_id: h.productId, quantity: h.quantity, unit_price_cents: h.unitPriceCents, currency: h.currency })),
        total_cents: total,
        currency,
      };
      touch(id, ...held.map((h) => h.productId));
      return { reservation, touched: held.map((h) => h.productId) };
    });
  }

  /** held → released gives reserved stock back; committed → released puts the units back on hand. Released stays released. */
  release(id: string, transact: Transact): Promise<ReservationChange> {
    return this.transition(id, 'released', transact);
  }

  /** held → committed takes the units out of on-hand and reserved. Committed stays committed; released → CONFLICT. */
  commit(id: string, transact: Transact): Promise<ReservationChange> {
    return this.transition(id, 'committed', transact);
  }

  /** Runs in the transaction `transact` opens (the tool's audited one). */
  private transition(id: string, target: 'released' | 'committed', transact: Transact): Promise<ReservationChange> {
    return transact(async (tx, touch) => {
      // The row lock serialises concurrent release/commit calls on one reservation.
      const [row] = await lockReservation(tx, { id });
      if (!row) throw notFound('reservation', id, RESERVATION_HINT);
      if (row.status === target) return { reservation: toReservation(row, await linesOf(tx, id)), touched: [] };
      if (target === 'committed' && row.status === 'released') {
        throw conflict(`Reservation "${id}" was released; its stock is no longer held, so it cannot be committed. Reserve again (with a new order_id) if the order should still go ahead.`, { reservation_id: id, status: row.status });
      }
      const lines = await lockLines(tx, { id });
      const change =
        target === 'committed'
          ? sql`stock_on_hand = p.stock_on_hand - v.quantity, stock_reserved = p.stock_reserved - v.quantity`
          : row.status === 'held'
            ? sql`stock_reserved = p.stock_reserved - v.quantity`
            : sql`stock_on_hand = p.stock_on_hand + v.quantity`; // committed → released: restock
      // Every product's stock and the reservation's status in one statement.
      const stock = lines.length ? sql`with stock as (update products p set ${change}, updated_at = now() from (values ${quantities(lines)}) as v(id, quantity) where p.id = v.id) ` : sql``;
      await executeRows(tx, sql`${stock}update reservations set status = ${target}, updated_at = now() where id = ${id}`);
      touch(...lines.map((l) => l.productId));
      return { reservation: toReservation({ ...row, status: target }, lines), touched: lines.map((l) => l.productId) };
    });
  }
}
