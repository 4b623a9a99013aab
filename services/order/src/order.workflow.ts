import { createHash } from 'node:crypto';
import { conflict, notFound, PartyRef, ToolError, Transact } from '@fedmcp/service-kit';
import type { Logger } from '@fedmcp/instrumentation';
import { OrderRecord, OrderRepository, RequestedItem } from './order.repository';
import { OrderSaga } from './order.saga';

export interface CreateOrderRequest {
  customer_id: string;
  items: RequestedItem[];
  payment_method: string;
  idempotency_key?: string;
}

export interface WorkflowOptions {
  /** How long a runner holds an order before recovery may take it over. */
  leaseMs: number;
  /** How long create_order waits for the saga before answering with the order as it stands. */
  answerWithinMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `work`, but no longer than `ms`; the timer does not outlive the wait. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function requestHash(request: CreateOrderRequest): string {
  const canonical = JSON.stringify([request.customer_id, request.items.map((i) => [i.product_id, i.quantity]), request.payment_method]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * What the order tools do, above the saga: idempotent creation (also while
 * the first attempt is still running), answering inside the tool budget,
 * and cancellation of confirmed orders.
 */
export class OrderWorkflow {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly repo: OrderRepository,
    private readonly saga: OrderSaga,
    private readonly logger: Logger,
    private readonly options: WorkflowOptions,
  ) {}

  /**
   * Creates the order in `transact`'s transaction (the tool's audited one:
   * the audited change is the order's creation), then runs the saga outside
   * any transaction: its upstream calls are audited by the services they reach.
   */
  async create(request: CreateOrderRequest, placedBy: PartyRef, transact: Transact): Promise<OrderRecord> {
    // The answer is due within the tool's budget counted from the call, not from the order's creation.
    const deadline = Date.now() + this.options.answerWithinMs;
    const { record, created } = await this.repo.createPending(
      {
        customerId: request.customer_id,
        paymentMethod: request.payment_method,
        items: request.items,
        idempotencyKey: request.idempotency_key,
        requestHash: requestHash(request),
        leaseMs: this.options.leaseMs,
        placedBy,
      },
      transact,
    );
    if (!created) return this.settled(record.row.id, deadline);
    const id = record.row.id;
    let final: OrderRecord | undefined;
    const run = this.saga.run(id, record).then(
      async (confirmed) => {
        final = confirmed;
        // A confirmed order gave its lease back in the saga's last statement.
        if (!confirmed || confirmed.row.leaseUntil) await this.repo.releaseLease(id);
      },
      async (error: unknown) => {
        await this.repo.releaseLease(id);
        throw error;
      },
    );
    const work = this.track(run);
    // Answer when the saga ends or the deadline comes, whichever is first; it goes on either way.
    await within(work, Math.max(0, deadline - Date.now()));
    return final ?? (await this.repo.find(id))!;
  }

  /** Runs saga work in the background of this process, remembered for shutdown. */
  track(work: Promise<void>): Promise<void> {
    const guarded: Promise<void> = work.catch((error) => {
      this.logger.error('order saga failed unexpectedly', { error: (error as Error).message });
    });
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
    return guarded;
  }

  /** The order once it is no longer pending, or as it stands at the deadline (a repeat of a running request). */
  private async settled(id: string, deadline: number): Promise<OrderRecord> {
    for (;;) {
      const record = (await this.repo.find(id))!;
      if (record.row.status !== 'pending' || Date.now() >= deadline) return record;
      await sleep(25);
    }
  }

  /** The audited change is the status becoming cancelled, written in `transact`'s transaction. */
  async cancel(orderId: string, reason: string | undefined, by: PartyRef, transact: Transact): Promise<OrderRecord> {
    const record = await this.repo.find(orderId);
    if (!record) throw notFound('order', orderId, 'Use list_orders to find valid ids.');
    const status = record.row.status;
    if (status === 'cancelled') return record;
    if (status === 'failed') throw conflict(`Order ${orderId} failed and has nothing to cancel: no payment was taken and no stock is held.`, { status });
    if (status === 'pending') throw conflict(`Order ${orderId} is still being processed; call get_order in a moment and cancel once it is confirmed.`, { status });
    if (!(await this.repo.acquireLease(orderId, this.options.leaseMs))) {
      throw conflict(`Order ${orderId} is being changed by another request; try again in a moment.`);
    }
    try {
      await this.saga.cancel(orderId, by);
      await transact((tx) => this.repo.update(orderId, { status: 'cancelled', cancelReason: reason ?? null }, tx));
    } catch (error) {
      if (error instanceof ToolError) throw error;
      const code = (error as { code?: string }).code;
      throw new ToolError('DEPENDENCY_UNAVAILABLE', `Order ${orderId} could not be cancelled right now (${(error as Error).message}). It is still confirmed; cancelling again later is safe.`, { code });
    } finally {
      await this.repo.releaseLease(orderId);
    }
    return (await this.repo.find(orderId))!;
  }

  /** Waits for saga work started in this process (graceful shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    await within(Promise.allSettled([...this.running]), timeoutMs);
  }
}
