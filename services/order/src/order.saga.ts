import { ToolError, UpstreamToolError } from '@fedmcp/service-kit';
import type { Logger } from '@fedmcp/instrumentation';
import { OrderRecord, OrderRepository } from './order.repository';
import { AuthorizeRequest, Upstreams } from './order.upstreams';

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

/** Why an order failed, as `failure` shows it. */
export class SagaFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function failureOf(error: unknown): SagaFailure {
  if (error instanceof SagaFailure) return error;
  if (error instanceof UpstreamToolError) {
    const code = DEFINITIVE.has(error.code) ? error.code : 'DEPENDENCY_UNAVAILABLE';
    return new SagaFailure(code, `${error.server} service: ${error.message}`);
  }
  if (error instanceof ToolError) {
    return new SagaFailure(error.code === 'TIMEOUT' ? 'DEPENDENCY_UNAVAILABLE' : error.code, error.message);
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

  private async step<T>(orderId: string, step: string, run: () => Promise<T>, detail?: (result: T) => Record<string, unknown>): Promise<T> {
    await this.repo.recordStep(orderId, step, 'started');
    try {
      const result = await run();
      await this.repo.recordStep(orderId, step, 'succeeded', detail?.(result));
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

  /** Runs (or resumes) the saga of one order to confirmed or failed. */
  async run(orderId: string): Promise<void> {
    let record = (await this.repo.find(orderId))!;
    if (record.row.status === 'failed' && record.row.compensationPending) return this.compensate(orderId);
    if (record.row.status !== 'pending') return;
    const done = new Set((await this.repo.steps(orderId)).filter((s) => s.status === 'succeeded').map((s) => s.step));
    const { row } = record;
    try {
      if (!done.has(STEP.VERIFY_CUSTOMER)) {
        await this.step(orderId, STEP.VERIFY_CUSTOMER, async () => {
          const customer = await this.upstream.getCustomer(row.customerId);
          if (customer.status !== 'active') throw new SagaFailure('CUSTOMER_INACTIVE', `Customer ${row.customerId} is ${customer.status} and cannot place orders.`);
          return customer;
        });
      }
      if (!done.has(STEP.RESERVE_INVENTORY)) {
        await this.step(
          orderId,
          STEP.RESERVE_INVENTORY,
          async () => {
            const r = await this.upstream.reserve(orderId, record.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity })));
            // Kept on the order before the step counts as done, so a resumed saga has them.
            await this.repo.setUnitPrices(orderId, new Map(r.lines.map((l) => [l.product_id, l.unit_price_cents])));
            await this.repo.update(orderId, { reservationId: r.reservation_id, totalCents: r.total_cents, currency: r.lines[0]?.currency ?? 'USD' });
            return r;
          },
          (r) => ({ reservation_id: r.reservation_id, total_cents: r.total_cents }),
        );
        record = (await this.repo.find(orderId))!;
      }
      if (!done.has(STEP.AUTHORIZE_PAYMENT)) {
        await this.step(
          orderId,
          STEP.AUTHORIZE_PAYMENT,
          async () => {
            const p = await this.upstream.authorize(this.authorizeRequest(record));
            await this.repo.update(orderId, { paymentId: p.payment_id });
            if (p.status === 'declined') throw new SagaFailure('PAYMENT_DECLINED', `The payment was declined (${p.decline_reason ?? 'declined'}). Ask for another payment method and place the order again.`);
            return p;
          },
          (p) => ({ payment_id: p.payment_id }),
        );
        record = (await this.repo.find(orderId))!;
      }
      if (!done.has(STEP.COMMIT_RESERVATION)) await this.step(orderId, STEP.COMMIT_RESERVATION, () => this.upstream.commit(record.row.reservationId!));
      if (!done.has(STEP.CAPTURE_PAYMENT)) await this.step(orderId, STEP.CAPTURE_PAYMENT, () => this.upstream.capture(record.row.paymentId!));
      await this.repo.update(orderId, { status: 'confirmed' });
    } catch (error) {
      const failure = failureOf(error);
      this.logger.info('order failed, compensating', { order_id: orderId, code: failure.code });
      await this.repo.update(orderId, { status: 'failed', failureCode: failure.code, failureMessage: failure.message, compensationPending: true });
      await this.compensate(orderId);
    }
  }

  /**
   * Undoes whatever the failed order may have done upstream: voids (or, if it
   * was captured, refunds) its payment and releases its reservation. Steps
   * whose outcome is unknown are resolved through the idempotent calls
   * themselves. When an upstream is down the order keeps
   * `compensationPending` and the recovery sweep tries again.
   */
  async compensate(orderId: string): Promise<void> {
    const record = (await this.repo.find(orderId))!;
    const steps = await this.repo.steps(orderId);
    const mayHaveDone = (step: string) => {
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
    const payment = record.row.paymentId ? { payment_id: record.row.paymentId } : await this.upstream.authorize(this.authorizeRequest(record));
    try {
      await this.upstream.void(payment.payment_id);
    } catch (error) {
      if (error instanceof UpstreamToolError && error.code === 'CONFLICT') {
        // Declined payments need nothing; a captured one is refunded instead.
        const refunded = await this.upstream.refund(payment.payment_id).catch((e) => {
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
    const reservationId = record.row.reservationId ?? (await this.upstream.reserve(record.row.id, record.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity })))).reservation_id;
    await this.upstream.release(reservationId);
  }

  /** Cancels a confirmed order: refund the captured payment, return the stock. */
  async cancel(orderId: string): Promise<void> {
    const record = (await this.repo.find(orderId))!;
    if (record.row.paymentId) await this.step(orderId, STEP.REFUND_PAYMENT, () => this.upstream.refund(record.row.paymentId!));
    if (record.row.reservationId) await this.step(orderId, STEP.RELEASE_RESERVATION, () => this.upstream.release(record.row.reservationId!));
  }
}
