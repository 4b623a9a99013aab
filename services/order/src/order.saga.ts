import { PartyRef, ToolError, UpstreamToolError, isDatabaseUnreachable } from '@fedmcp/service-kit';
import type { Logger } from '@fedmcp/instrumentation';
import { OrderPatch, OrderRecord, OrderRepository, StepEntry } from './order.repository';
import { AuthorizeRequest, Payment, Reservation, Upstreams } from './order.upstreams';
import { placedBy } from './order.view';

export const STEP = {
  VERIFY_CUSTOMER: 'verify_customer',
  RESERVE_INVENTORY: 'reserve_inventory',
  AUTHORIZE_PAYMENT: 'authorize_payment',
  COMMIT_RESERVATION: 'commit_reservation',
  CAPTURE_PAYMENT: 'capture_payment',
  RELEASE_RESERVATION: 'release_reservation',
  VOID_PAYMENT: 'void_payment',
  REFUND_PAYMENT: 'refund_payment',
} as const;

/** Failures that say for sure the step had no effect upstream (nothing to undo). */
const DEFINITIVE = new Set(['VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'INSUFFICIENT_STOCK', 'CUSTOMER_INACTIVE', 'PAYMENT_DECLINED']);

/**
 * Failures of a repeated reserve (same order_id) or authorize (same
 * idempotency key) that say there is no reservation or payment for the order:
 * the repeat would have returned it. Compensation then has nothing to undo.
 * (CONFLICT of authorize means a payment exists under the key for another
 * request: not a case of "nothing there".)
 */
const NOTHING_RESERVED = new Set(['VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT']);

/**
 * INSUFFICIENT_STOCK is an answer of the moment, not of the request: the
 * original reserve may still be on its way (a slow link) and find stock when
 * it lands. It counts as "nothing reserved" only once the order failed this
 * long ago, when no request of its saga can still arrive; before that the
 * compensation stays owed and the sweep asks again.
 */
export const LATE_REQUEST_GRACE_MS = 30_000;
const NOTHING_AUTHORIZED = new Set(['VALIDATION_ERROR', 'NOT_FOUND', 'PAYMENT_DECLINED']);

const refusedWith = (codes: Set<string>) => (error: unknown) => error instanceof UpstreamToolError && codes.has(error.code);

/** Why an order failed, as `failure` shows it. */
export class SagaFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Order fields the failed step still learnt (e.g. the id of a declined payment). */
    readonly patch: OrderPatch = {},
  ) {
    super(message);
  }
}

/** A stage's steps failed; their outcome and the order's failed state are recorded. */
class StageFailed extends Error {
  constructor(readonly failure: SagaFailure) {
    super(failure.message);
  }
}

/**
 * The order stopped being pending while this runner's stage ran: another
 * runner (recovery, after this one's lease ran out) confirmed or failed it,
 * and nothing of this stage was recorded. Carries the stage's steps that
 * may have had an effect here (succeeded, or failed without saying for sure
 * that nothing happened): every call is keyed by the order (reservation per
 * order_id, payment per idempotency key), so they hold the same reservation
 * and payment the other runner used, but one may have been made after the
 * other runner's compensation looked for it.
 */
class Superseded extends Error {
  constructor(readonly mayHaveDone: StepEntry[]) {
    super('the order is no longer pending');
  }
}

/** A stage's upstream calls ran but their outcome could not be recorded. */
class StageUnrecorded extends Error {
  constructor(
    readonly steps: string[],
    readonly reason: unknown,
  ) {
    super(`saga steps ${steps.join(', ')} ran but could not be recorded`);
  }
}

/** One saga step: its upstream work and what its success changes on the order. */
interface StepSpec<T = unknown> {
  name: string;
  run: (record: OrderRecord) => Promise<T>;
  patch?: (result: T) => OrderPatch;
  prices?: (result: T) => Map<string, number>;
  detail?: (result: T) => Record<string, unknown>;
}

/** Steps of different result types run side by side in one stage. */
const anyStep = <T>(spec: StepSpec<T>) => spec as unknown as StepSpec;

function failureOf(error: unknown): SagaFailure {
  if (error instanceof SagaFailure) return error;
  if (error instanceof UpstreamToolError) {
    const code = DEFINITIVE.has(error.code) ? error.code : 'DEPENDENCY_UNAVAILABLE';
    return new SagaFailure(code, `${error.server} service: ${error.message}`);
  }
  if (error instanceof ToolError) {
    return new SagaFailure(error.code === 'TIMEOUT' ? 'DEPENDENCY_UNAVAILABLE' : error.code, error.message);
  }
  if (isDatabaseUnreachable(error)) {
    return new SagaFailure('DEPENDENCY_UNAVAILABLE', 'The order could not be completed because its database could not be reached; anything reserved or authorized for it is released. Place the order again shortly.');
  }
  return new SagaFailure('INTERNAL', 'The order could not be completed because of an internal error; nothing was charged and no stock is held.');
}

/** The idempotency key under which an order's payment is authorized (stable across re-runs). */
export const authorizationKey = (orderId: string) => `${orderId}:authorize`;

/**
 * The order saga: verify customer → reserve inventory → authorize payment →
 * commit reservation → capture payment → confirmed. Every step is recorded in
 * the step log before it counts as done, and every upstream call is
 * idempotent, so `run` can be repeated after a crash and resumes where the log
 * says it stopped. Failures compensate what was (or may have been) done.
 */
export class OrderSaga {
  constructor(
    private readonly repo: OrderRepository,
    private readonly upstream: Upstreams,
    private readonly logger: Logger,
  ) {}

  /** The upstreams, called on behalf of whoever placed the order. */
  private on(record: OrderRecord): Upstreams {
    return this.upstream.actingFor(placedBy(record));
  }

  /** A compensation or cancellation step, logged as it starts and as it ends. */
  private async step<T>(orderId: string, step: string, run: () => Promise<T>): Promise<T> {
    await this.repo.recordStep(orderId, step, 'started');
    try {
      const result = await run();
      await this.repo.recordStep(orderId, step, 'succeeded');
      return result;
    } catch (error) {
      const failure = failureOf(error);
      await this.repo.recordStep(orderId, step, 'failed', { code: failure.code, message: failure.message });
      throw failure;
    }
  }

  private authorizeRequest(record: OrderRecord): AuthorizeRequest {
    const { row } = record;
    return {
      order_id: row.id,
      customer_id: row.customerId,
      amount_cents: row.totalCents ?? 0,
      currency: row.currency ?? 'USD',
      payment_method: row.paymentMethod,
      idempotency_key: authorizationKey(row.id),
    };
  }

  private readonly verifyCustomer = anyStep<{ status: string }>({
    name: STEP.VERIFY_CUSTOMER,
    run: async (record) => {
      const { row } = record;
      const customer = await this.on(record).getCustomer(row.customerId);
      if (customer.status !== 'active') throw new SagaFailure('CUSTOMER_INACTIVE', `Customer ${row.customerId} is ${customer.status} and cannot place orders.`);
      return customer;
    },
  });

  private readonly reserveInventory = anyStep<Reservation>({
    name: STEP.RESERVE_INVENTORY,
    run: (record) => this.on(record).reserve(record.row.id, record.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }))),
    // Kept on the order in the same statement that marks the step done, so a resumed saga has them.
    patch: (r) => ({ reservationId: r.reservation_id, totalCents: r.total_cents, currency: r.lines[0]?.currency ?? 'USD' }),
    prices: (r) => new Map(r.lines.map((l) => [l.product_id, l.unit_price_cents])),
    detail: (r) => ({ reservation_id: r.reservation_id, total_cents: r.total_cents }),
  });

  private readonly authorizePayment = anyStep<Payment>({
    name: STEP.AUTHORIZE_PAYMENT,
    run: async (record) => {
      const p = await this.on(record).authorize(this.authorizeRequest(record));
      if (p.status === 'declined') {
        throw new SagaFailure('PAYMENT_DECLINED', `The payment was declined (${p.decline_reason ?? 'declined'}). Ask for another payment method and place the order again.`, { paymentId: p.payment_id });
      }
      return p;
    },
    patch: (p) => ({ paymentId: p.payment_id }),
    detail: (p) => ({ payment_id: p.payment_id }),
  });

  private readonly commitReservation: StepSpec = { name: STEP.COMMIT_RESERVATION, run: (record) => this.on(record).commit(record.row.reservationId!) };
  private readonly capturePayment: StepSpec = { name: STEP.CAPTURE_PAYMENT, run: (record) => this.on(record).capture(record.row.paymentId!) };

  /**
   * Runs the steps of one stage concurrently (they do not depend on each
   * other), then records every outcome and the order's new state in one
   * statement. Steps already done (a resumed saga) are skipped. When a step
   * fails, the order is recorded failed with compensation owed and
   * StageFailed is thrown; the steps that succeeded are in the log, so
   * compensation undoes them.
   */
  private async stage(record: OrderRecord, done: Set<string>, specs: StepSpec[], onSuccess: OrderPatch = {}): Promise<OrderRecord> {
    const todo = specs.filter((s) => !done.has(s.name));
    if (todo.length === 0) return record;
    const startedAt = new Date();
    const outcomes = await Promise.allSettled(todo.map((s) => s.run(record)));
    const finishedAt = new Date();
    const entries: StepEntry[] = todo.map((s) => ({ step: s.name, status: 'started' as const, at: startedAt }));
    let patch: OrderPatch = {};
    let prices: Map<string, number> | undefined;
    let failure: SagaFailure | undefined;
    todo.forEach((spec, i) => {
      const outcome = outcomes[i];
      if (outcome.status === 'fulfilled') {
        entries.push({ step: spec.name, status: 'succeeded', at: finishedAt, detail: spec.detail?.(outcome.value) ?? null });
        patch = { ...patch, ...spec.patch?.(outcome.value) };
        prices = spec.prices?.(outcome.value) ?? prices;
      } else {
        const f = failureOf(outcome.reason);
        entries.push({ step: spec.name, status: 'failed', at: finishedAt, detail: { code: f.code, message: f.message } });
        patch = { ...patch, ...f.patch };
        failure ??= f;
      }
    });
    if (failure) patch = { ...patch, status: 'failed', failureCode: failure.code, failureMessage: failure.message, compensationPending: true };
    else patch = { ...patch, ...onSuccess };
    let updatedAt: Date | undefined;
    try {
      updatedAt = await this.repo.advance(record.row.id, patch, entries, prices);
    } catch (error) {
      throw new StageUnrecorded(todo.map((s) => s.name), error);
    }
    // What may have had an effect: successes, and failures that do not say for sure they had none.
    if (!updatedAt) throw new Superseded(entries.filter((e) => e.status === 'succeeded' || (e.status === 'failed' && !DEFINITIVE.has(String(e.detail?.code)))));
    if (failure) throw new StageFailed(failure);
    for (const s of todo) done.add(s.name);
    const lines = prices ? record.lines.map((l) => ({ ...l, unitPriceCents: prices!.get(l.productId) ?? l.unitPriceCents })) : record.lines;
    return { row: { ...record.row, ...patch, updatedAt }, lines };
  }

  /**
   * Runs (or resumes) the saga of one order to confirmed or failed: verify
   * customer ∥ reserve inventory → authorize payment → commit reservation ∥
   * capture payment. `fresh` is the order just created (nothing to look up
   * or resume). Returns the confirmed order, or undefined when it failed or
   * was not pending (callers read it again).
   */
  async run(orderId: string, fresh?: OrderRecord): Promise<OrderRecord | undefined> {
    let record = fresh ?? (await this.repo.find(orderId));
    if (!record) return undefined;
    if (record.row.status === 'failed' && record.row.compensationPending) {
      await this.compensate(orderId);
      return undefined;
    }
    if (record.row.status !== 'pending') return undefined;
    const done = new Set(fresh ? [] : (await this.repo.steps(orderId)).filter((s) => s.status === 'succeeded').map((s) => s.step));
    try {
      record = await this.stage(record, done, [this.verifyCustomer, this.reserveInventory]);
      record = await this.stage(record, done, [this.authorizePayment]);
      // Confirmed and released in the same statement that records the last steps.
      return await this.stage(record, done, [this.commitReservation, this.capturePayment], { status: 'confirmed', leaseUntil: null });
    } catch (error) {
      if (error instanceof Superseded) {
        this.logger.info('order finished by another runner; this one stops', { order_id: orderId });
        const now = await this.repo.find(orderId);
        if (now?.row.status === 'failed' && error.mayHaveDone.length) {
          // Logged and owed, so this compensation (or the sweep's, if it fails) undoes them too.
          for (const e of error.mayHaveDone) await this.repo.recordStep(orderId, e.step, e.status, e.detail ?? undefined);
          await this.repo.update(orderId, { compensationPending: true });
          await this.compensate(orderId);
        }
        return undefined;
      }
      if (error instanceof StageFailed) {
        this.logger.info('order failed, compensating', { order_id: orderId, code: error.failure.code });
        await this.compensate(orderId);
        return undefined;
      }
      // The log may lack steps that ran (their record failed): compensate them too.
      const unrecorded = error instanceof StageUnrecorded ? error.steps : [];
      const failure = failureOf(error instanceof StageUnrecorded ? error.reason : error);
      this.logger.info('order failed, compensating', { order_id: orderId, code: failure.code });
      await this.repo.update(orderId, { status: 'failed', failureCode: failure.code, failureMessage: failure.message, compensationPending: true });
      await this.compensate(orderId, unrecorded);
      return undefined;
    }
  }

  /**
   * Undoes whatever the failed order may have done upstream: voids (or, if it
   * was captured, refunds) its payment and releases its reservation. Steps
   * whose outcome is unknown are resolved through the idempotent calls
   * themselves. When an upstream is down the order keeps
   * `compensationPending` and the recovery sweep tries again.
   */
  async compensate(orderId: string, unrecorded: string[] = []): Promise<void> {
    const record = (await this.repo.find(orderId))!;
    const steps = await this.repo.steps(orderId);
    const mayHaveDone = (step: string) => {
      if (unrecorded.includes(step)) return true;
      const rows = steps.filter((s) => s.step === step);
      if (rows.length === 0) return false;
      const last = rows[rows.length - 1];
      const code = (last.detail as { code?: string } | null)?.code;
      return !(last.status === 'failed' && code && DEFINITIVE.has(code));
    };
    let complete = true;
    if (mayHaveDone(STEP.AUTHORIZE_PAYMENT)) {
      complete = (await this.tryStep(orderId, STEP.VOID_PAYMENT, () => this.voidPayment(record))) && complete;
    }
    if (mayHaveDone(STEP.RESERVE_INVENTORY)) {
      complete = (await this.tryStep(orderId, STEP.RELEASE_RESERVATION, () => this.releaseReservation(record))) && complete;
    }
    if (complete) await this.repo.update(orderId, { compensationPending: false });
  }

  private async tryStep(orderId: string, step: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.step(orderId, step, run);
      return true;
    } catch (error) {
      this.logger.warn('compensation step failed; will retry', { order_id: orderId, step, error: (error as Error).message });
      return false;
    }
  }

  private async voidPayment(record: OrderRecord): Promise<void> {
    // Re-authorizing under the same key returns the payment if it exists; if
    // the original request is still in flight it will find this one instead
    // of charging, so a late authorization cannot escape the void.
    const upstream = this.on(record);
    let payment: { payment_id: string } | undefined = record.row.paymentId ? { payment_id: record.row.paymentId } : undefined;
    if (!payment) {
      try {
        payment = await upstream.authorize(this.authorizeRequest(record));
      } catch (error) {
        // The repeat was refused outright: no payment exists under the key, or the
        // repeat would have returned it (otherwise this compensation stays owed forever).
        if (refusedWith(NOTHING_AUTHORIZED)(error)) return;
        throw error;
      }
    }
    try {
      await upstream.void(payment.payment_id);
    } catch (error) {
      if (error instanceof UpstreamToolError && error.code === 'CONFLICT') {
        // Declined payments need nothing; a captured one is refunded instead.
        const refunded = await upstream.refund(payment.payment_id).catch((e) => {
          if (e instanceof UpstreamToolError && e.code === 'CONFLICT') return undefined;
          throw e;
        });
        if (refunded) this.logger.info('captured payment of failed order refunded', { order_id: record.row.id });
        return;
      }
      throw error;
    }
  }

  private async releaseReservation(record: OrderRecord): Promise<void> {
    // Unknown reservation id: reserving again under the same order_id returns the same reservation.
    const upstream = this.on(record);
    let reservationId = record.row.reservationId;
    if (!reservationId) {
      try {
        reservationId = (await upstream.reserve(record.row.id, record.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity })))).reservation_id;
      } catch (error) {
        // Refused outright (e.g. the stock sold out meanwhile): no reservation exists for
        // this order_id, or the repeat would have returned it. Nothing is held.
        if (refusedWith(NOTHING_RESERVED)(error)) return;
        if (refusedWith(new Set(['INSUFFICIENT_STOCK']))(error) && Date.now() - record.row.updatedAt.getTime() > LATE_REQUEST_GRACE_MS) return;
        throw error;
      }
    }
    await upstream.release(reservationId);
  }

  /** Cancels a confirmed order for `by` (the caller of cancel_order): refund the captured payment, return the stock. */
  async cancel(orderId: string, by: PartyRef): Promise<void> {
    const record = (await this.repo.find(orderId))!;
    const upstream = this.upstream.actingFor(by);
    if (record.row.paymentId) await this.step(orderId, STEP.REFUND_PAYMENT, () => upstream.refund(record.row.paymentId!));
    if (record.row.reservationId) await this.step(orderId, STEP.RELEASE_RESERVATION, () => upstream.release(record.row.reservationId!));
  }
}
