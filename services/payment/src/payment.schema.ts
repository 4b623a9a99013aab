import { pgTable, text, bigint, bigserial, timestamp, index, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { PAYMENT_EVENT_TYPES, PAYMENT_STATUSES } from './payment.state';

// Money columns are bigint: the kit accepts amounts up to 10^11 cents, past int4.
const cents = (name: string) => bigint(name, { mode: 'number' });

export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    customerId: text('customer_id').notNull(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    amountCents: cents('amount_cents').notNull(),
    currency: text('currency').notNull(),
    capturedCents: cents('captured_cents').notNull().default(0),
    refundedCents: cents('refunded_cents').notNull().default(0),
    paymentMethod: text('payment_method').notNull(),
    declineReason: text('decline_reason'),
    /** The card provider's reference for the authorization (null when declined). */
    providerReference: text('provider_reference'),
    /** Unique: the database is the arbiter of "one payment per key", also under races. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    /** Hash of the request that created the payment; a reused key must match it. */
    requestHash: text('request_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('payments_order_idx').on(t.orderId, t.id),
    index('payments_customer_idx').on(t.customerId, t.id),
    // Money invariants hold even if application code is wrong: never refund more than was captured.
    check('payments_amount_positive', sql`${t.amountCents} > 0`),
    check('payments_captured_range', sql`${t.capturedCents} >= 0 and ${t.capturedCents} <= ${t.amountCents}`),
    check('payments_refunded_range', sql`${t.refundedCents} >= 0 and ${t.refundedCents} <= ${t.capturedCents}`),
  ],
);

/** The append-only ledger: one row per transition, written in the same transaction. */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    type: text('type', { enum: PAYMENT_EVENT_TYPES }).notNull(),
    amountCents: cents('amount_cents').notNull(),
    /** Null for the event that creates the payment (authorize or decline). */
    fromStatus: text('from_status', { enum: PAYMENT_STATUSES }),
    toStatus: text('to_status', { enum: PAYMENT_STATUSES }).notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('payment_events_payment_idx').on(t.paymentId, t.id)],
);

export const schema = { payments, paymentEvents };
export type PaymentRow = typeof payments.$inferSelect;
export type PaymentEventRow = typeof paymentEvents.$inferSelect;
