import { pgTable, text, timestamp, integer, bigint, boolean, index, uniqueIndex, primaryKey, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

export const RESERVATION_STATUSES = ['held', 'committed', 'released'] as const;

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    // bigint: prices may exceed 2^31 cents; the values stay well inside Number's safe range.
    priceCents: bigint('price_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('USD'),
    stockOnHand: integer('stock_on_hand').notNull(),
    stockReserved: integer('stock_reserved').notNull().default(0),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // Case-insensitive SKU uniqueness, enforced by the database also under races.
    uniqueIndex('products_sku_lower_idx').on(sql`lower(${t.sku})`),
    // Last line of defence: stock can never go negative or be over-reserved.
    check('products_price_nonnegative', sql`${t.priceCents} >= 0`),
    check('products_reserved_nonnegative', sql`${t.stockReserved} >= 0`),
    check('products_reserved_within_on_hand', sql`${t.stockOnHand} >= ${t.stockReserved}`),
  ],
);

/** Every manual stock change with its reason (audit trail of adjust_stock). */
export const stockAdjustments = pgTable(
  'stock_adjustments',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    delta: integer('delta').notNull(),
    reason: text('reason').notNull(),
    stockOnHandAfter: integer('stock_on_hand_after').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('stock_adjustments_product_idx').on(t.productId)],
);

/** One reservation per order: the UNIQUE order_id makes reserve_inventory idempotent. */
export const reservations = pgTable(
  'reservations',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull().default('held'),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull().default('USD'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('reservations_order_id_idx').on(t.orderId), index('reservations_status_idx').on(t.status)],
);

export const reservationLines = pgTable(
  'reservation_lines',
  {
    reservationId: text('reservation_id')
      .notNull()
      .references(() => reservations.id),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
  },
  (t) => [primaryKey({ columns: [t.reservationId, t.productId] }), index('reservation_lines_product_idx').on(t.productId), check('reservation_lines_quantity_positive', sql`${t.quantity} > 0`)],
);

export const schema = { products, stockAdjustments, reservations, reservationLines };
export type ProductRow = typeof products.$inferSelect;
export type ReservationRow = typeof reservations.$inferSelect;
export type ReservationLineRow = typeof reservationLines.$inferSelect;
export type ReservationStatus = ReservationRow['status'];
