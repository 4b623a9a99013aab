import type { Logger } from '@fedmcp/instrumentation';
import { OrderRepository } from './order.repository';
import { OrderSaga } from './order.saga';
import { OrderWorkflow } from './order.workflow';

/** Unfinished orders read per query of a sweep. */
const PAGE = 50;

/**
 * Finishes or compensates orders left mid-saga (a crash, a kill -9) and
 * retries owed compensations: once at start, then every `intervalMs`. An
 * order is taken only when its lease has expired, so replicas do not collide.
 */
export class OrderRecovery {
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private stopped = false;

  constructor(
    private readonly repo: OrderRepository,
    private readonly saga: OrderSaga,
    private readonly workflow: OrderWorkflow,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; leaseMs: number },
  ) {}

  start(): void {
    this.stopped = false;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over unfinished orders; returns how many it took on. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let taken = 0;
    try {
      // Page by id through every unfinished order: the first page may hold orders
      // that stay unfinished (an upstream still down), which must not starve the rest.
      let after: string | undefined;
      for (let page = await this.repo.findUnfinished(PAGE); page.length > 0; page = page.length < PAGE ? [] : await this.repo.findUnfinished(PAGE, after)) {
        for (const id of page) {
          after = id;
          if (this.stopped) return taken;
          if (!(await this.repo.acquireLease(id, this.options.leaseMs))) continue;
          taken++;
          this.logger.info('recovering unfinished order', { order_id: id });
          const work = this.saga
            .run(id)
            .then(() => undefined)
            .finally(() => this.repo.releaseLease(id));
          this.workflow.track(work);
          await work.catch(() => undefined);
        }
      }
    } catch (error) {
      this.logger.warn('recovery sweep failed; will retry', { error: (error as Error).message });
    } finally {
      this.sweeping = false;
    }
    return taken;
  }
}
