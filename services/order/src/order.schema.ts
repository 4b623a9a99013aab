import { pgTable, text, integer, timestamp, boolean, bigserial, jsonb, index, primaryKey } from 'drizzle-orm/pg-core';

export const ORDER_STATUSES = ['pending', 'confirmed', 'failed', 'cancelled'] as const;
export const STEP_STATUSES = ['started', 'succeeded', 'failed'] as const;

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending'),
    paymentMethod: text('payment_method').notNull(),
    currency: text('currency'),
    totalCents: integer('total_cents'),
    reservationId: text('reservation_id'),
    paymentId: text('payment_id'),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    /** Compensation still owed (an upstream was down when the order failed). */
    compensationPending: boolean('compensation_pending').notNull().default(false),
    cancelReason: text('cancel_reason'),
    /** Who placed the order (the caller's token `sub` and `client_id`); null for orders placed before it was recorded. */
    placedBySub: text('placed_by_sub'),
    placedByClientId: text('placed_by_client_id'),
    idempotencyKey: text('idempotency_key').unique(),
    requestHash: text('request_hash').notNull(),
    /** Whoever runs the saga holds the order until then; recovery takes expired ones. */
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('orders_customer_idx').on(t.customerId, t.id), index('orders_status_idx').on(t.status, t.id)],
);

export const orderLines = pgTable(
  'order_lines',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    position: integer('position').notNull(),
    productId: text('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents'),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.position] })],
);

/** The saga step log: one row per step or compensation state change, in order. */
export const sagaSteps = pgTable(
  'saga_steps',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    step: text('step').notNull(),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    detail: jsonb('detail'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('saga_steps_order_idx').on(t.orderId, t.id)],
);

export const schema = { orders, orderLines, sagaSteps };
export type OrderRow = typeof orders.$inferSelect;
export type OrderLineRow = typeof orderLines.$inferSelect;
export type SagaStepRow = typeof sagaSteps.$inferSelect;
