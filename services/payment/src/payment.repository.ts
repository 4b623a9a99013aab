import { asc, eq, sql, SQL, SQLWrapper } from 'drizzle-orm';
import { AppDatabase, CursorCodec, keysetPage, conflict, isUniqueViolation, newId, notFound, statement, validationError, Transact } from '@fedmcp/service-kit';
import { PaymentEventRow, PaymentRow, paymentEvents, payments, schema } from './payment.schema';
import { Decision, PaymentAction, PaymentEventType, PaymentStatus, decide } from './payment.state';
import type { Payment, PaymentEvent, PaymentWithEvents } from './payment.types';

export function toPayment(row: PaymentRow): Payment {
  return {
    payment_id: row.id,
    order_id: row.orderId,
    customer_id: row.customerId,
    status: row.status,
    amount_cents: row.amountCents,
    currency: row.currency,
    captured_cents: row.capturedCents,
    refunded_cents: row.refundedCents,
    payment_method: row.paymentMethod,
    decline_reason: row.declineReason,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function toEvent(row: PaymentEventRow): PaymentEvent {
  return { type: row.type, amount_cents: row.amountCents, from_status: row.fromStatus, to_status: row.toStatus, at: row.at.toISOString() };
}

const HINT = 'Use list_payments to find payment ids.';

/**
 * A CTE that writes the ledger event of the payment row another CTE
 * (`source`, an INSERT or UPDATE … RETURNING) returns: the event goes in
 * with the change, in the same statement. `to_status` is the row's new
 * status; `amount` is a value or a column of the source row.
 */
function ledgerEventOf(db: AppDatabase<any>, source: string, event: { type: SQLWrapper; amount: SQLWrapper; from: SQLWrapper | null }) {
  return db
    .$with('event', {})
    .as(sql`insert into ${paymentEvents} (payment_id, type, amount_cents, from_status, to_status) select id, ${event.type}, ${event.amount}, ${event.from}, status from ${sql.identifier(source)}`);
}

// The statements of the order path, built once (`statement`): their values are placeholders.
const value = (name: string) => sql.placeholder(name);

const paymentByKey = statement<{ key: string }, PaymentRow[]>('payment_by_key', (db) => db.select().from(payments).where(eq(payments.idempotencyKey, value('key'))).limit(1));

/** The payment and its first ledger event in one statement (one round trip). */
const insertPayment = statement<Record<'id' | 'order_id' | 'customer_id' | 'status' | 'amount_cents' | 'currency' | 'payment_method' | 'decline_reason' | 'provider_reference' | 'idempotency_key' | 'request_hash' | 'event_type', unknown>, PaymentRow[]>(
  'insert_payment',
  (db) => {
    const created = db.$with('created').as(
      db
        .insert(payments)
        .values({
          id: value('id'),
          orderId: value('order_id'),
          customerId: value('customer_id'),
          status: sql`${value('status')}`,
          amountCents: value('amount_cents'),
          currency: value('currency'),
          paymentMethod: value('payment_method'),
          declineReason: value('decline_reason'),
          providerReference: value('provider_reference'),
          idempotencyKey: value('idempotency_key'),
          requestHash: value('request_hash'),
        })
        .returning(),
    );
    const event = ledgerEventOf(db, 'created', { type: value('event_type'), amount: sql`amount_cents`, from: null });
    return db.with(created, event).select().from(created);
  },
);

const lockPayment = statement<{ id: string }, PaymentRow[]>('lock_payment', (db) => db.select().from(payments).where(eq(payments.id, value('id'))).for('update'));

/** The new state and its ledger event in one statement (one round trip). */
const applyTransition = statement<Record<'id' | 'to' | 'captured_cents' | 'refunded_cents' | 'action' | 'amount_cents' | 'from', unknown>, PaymentRow[]>('apply_payment_transition', (db) => {
  const changed = db.$with('changed').as(
    db
      .update(payments)
      .set({ status: sql`${value('to')}`, capturedCents: sql`${value('captured_cents')}`, refundedCents: sql`${value('refunded_cents')}`, updatedAt: sql`now()` })
      .where(eq(payments.id, value('id')))
      .returning(),
  );
  const event = ledgerEventOf(db, 'changed', { type: value('action'), amount: value('amount_cents'), from: value('from') });
  return db.with(changed, event).select().from(changed);
});

/** A new payment as the caller asked for it, before the provider answered. */
export interface PaymentRequest {
  order_id: string;
  customer_id: string;
  amount_cents: number;
  currency: string;
  payment_method: string;
  idempotency_key: string;
  /** Fingerprint of the request fields; a reused key must come with the same one. */
  request_hash: string;
}

/** What the provider said: authorized with its reference, or declined with a reason. */
export type AuthorizationOutcome = { approved: true; reference: string } | { approved: false; reason: string };

export interface PaymentFilter {
  order_id?: string;
  customer_id?: string;
  limit: number;
  cursor?: string;
}

export class PaymentRepository {
  private readonly cursors = new CursorCodec('payment:list');

  constructor(private readonly db: AppDatabase<typeof schema>) {}

  async find(id: string): Promise<PaymentWithEvents | undefined> {
    const [row] = await this.db.select().from(payments).where(eq(payments.id, id)).limit(1);
    if (!row) return undefined;
    const events = await this.db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, id)).orderBy(asc(paymentEvents.id));
    return { ...toPayment(row), events: events.map(toEvent) };
  }

  async list(filter: PaymentFilter): Promise<{ items: Payment[]; next_cursor: string | null }> {
    const filters: (SQL | undefined)[] = [
      filter.order_id ? eq(payments.orderId, filter.order_id) : undefined,
      filter.customer_id ? eq(payments.customerId, filter.customer_id) : undefined,
    ];
    return keysetPage(this.db, payments, filters, filter, this.cursors, toPayment);
  }

  /**
   * Records at most one payment per idempotency key. Under a
   * transaction-scoped advisory lock on the key, an existing payment for the
   * key is returned (or CONFLICT if it came from a different request)
   * without calling `authorize`; otherwise `authorize` runs exactly once and
   * the payment and its first ledger event are written together. Concurrent
   * identical requests wait on the lock and then find the payment. If
   * `authorize` throws, nothing is recorded and the key stays free for a
   * retry. `transact` opens the transaction (the tool's audited one).
   * There is no lookup before the lock: nearly every call is a new payment,
   * and the lookup under the lock answers replays as well (one round trip
   * less per payment).
   */
  async authorizeOnce(request: PaymentRequest, authorize: () => Promise<AuthorizationOutcome>, transact: Transact): Promise<Payment> {
    try {
      return await transact(async (tx, touch) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`payment:${request.idempotency_key}`}, 0))`);
        const raced = await this.findByKey(tx, request);
        if (raced) return raced;
        const outcome = await authorize();
        const [row] = await insertPayment(tx, {
          id: newId('pay'),
          order_id: request.order_id,
          customer_id: request.customer_id,
          status: outcome.approved ? 'authorized' : 'declined',
          amount_cents: request.amount_cents,
          currency: request.currency,
          payment_method: request.payment_method,
          decline_reason: outcome.approved ? null : outcome.reason,
          provider_reference: outcome.approved ? outcome.reference : null,
          idempotency_key: request.idempotency_key,
          request_hash: request.request_hash,
          event_type: (outcome.approved ? 'authorize' : 'decline') satisfies PaymentEventType,
        });
        touch(row.id);
        return toPayment(row);
      });
    } catch (error) {
      // The lock makes this unreachable between our own requests; the unique key still decides.
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.findByKey(this.db, request);
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * Applies `action` to one payment inside a transaction holding its row lock
   * (SELECT … FOR UPDATE), so concurrent transitions see each other's result
   * and refunds cannot add up past the captured amount. `effect` (the
   * provider call) runs after the state machine allowed the action and
   * before anything is written; if it throws, nothing changes. `transact`
   * opens the transaction (the tool's audited one).
   */
  async transition(
    id: string,
    action: PaymentAction,
    amountCents: number | undefined,
    effect: (row: PaymentRow, decision: Extract<Decision, { kind: 'apply' }>) => Promise<void>,
    transact: Transact,
  ): Promise<Payment> {
    return transact(async (tx) => {
      const [row] = await lockPayment(tx, { id });
      if (!row) throw notFound('payment', id, HINT);
      const decision = decide({ status: row.status, amount_cents: row.amountCents, captured_cents: row.capturedCents, refunded_cents: row.refundedCents }, action, amountCents);
      if (decision.kind === 'unchanged') return toPayment(row);
      if (decision.kind === 'conflict') throw conflict(`Payment ${id}: ${decision.message}`, { status: row.status });
      if (decision.kind === 'invalid_amount') throw validationError(decision.message, { path: 'amount_cents', refundable_cents: row.capturedCents - row.refundedCents });
      await effect(row, decision);
      const [updated] = await applyTransition(tx, {
        id,
        to: decision.to,
        captured_cents: decision.captured_cents,
        refunded_cents: decision.refunded_cents,
        action: action satisfies PaymentEventType,
        amount_cents: decision.event_amount_cents,
        from: row.status,
      });
      return toPayment(updated);
    });
  }

  private async findByKey(db: AppDatabase<typeof schema>, request: PaymentRequest): Promise<Payment | undefined> {
    const [row] = await paymentByKey(db, { key: request.idempotency_key });
    if (!row) return undefined;
    if (row.requestHash !== request.request_hash) {
      throw conflict(
        `idempotency_key "${request.idempotency_key}" was already used for a different request (payment ${row.id}: order ${row.orderId}, ${row.amountCents} ${row.currency}, ${row.paymentMethod}). Repeat the original request exactly to get that payment back, or use a new idempotency_key for a new payment.`,
        { path: 'idempotency_key', payment_id: row.id },
      );
    }
    return toPayment(row);
  }
}
