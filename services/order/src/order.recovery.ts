import type { Logger } from '@fedmcp/instrumentation';
import { OrderRepository } from './order.repository';
import { OrderSaga } from './order.saga';
import { OrderWorkflow } from './order.workflow';

/**
 * Finishes or compensates orders left mid-saga (a crash, a kill -9) and
 * retries owed compensations: once at start, then every `intervalMs`. An
 * order is taken only when its lease has expired, so replicas do not collide.
 */
export class OrderRecovery {
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly repo: OrderRepository,
    private readonly saga: OrderSaga,
    private readonly workflow: OrderWorkflow,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; leaseMs: number },
  ) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over unfinished orders; returns how many it took on. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let taken = 0;
    try {
      for (const id of await this.repo.findUnfinished()) {
        if (!(await this.repo.acquireLease(id, this.options.leaseMs))) continue;
        taken++;
        this.logger.info('recovering unfinished order', { order_id: id });
        const work = this.saga.run(id).finally(() => this.repo.releaseLease(id));
        this.workflow.track(work);
        await work.catch(() => undefined);
      }
    } catch (error) {
      this.logger.warn('recovery sweep failed; will retry', { error: (error as Error).message });
    } finally {
      this.sweeping = false;
    }
    return taken;
  }
}
