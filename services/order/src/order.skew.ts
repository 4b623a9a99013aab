import { McpUpstream, ToolError, CheckResult } from '@fedmcp/service-kit';
import type { Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import { readinessReason, verifyContract } from '@fedmcp/contracts';
import { UPSTREAM_NAMES, UpstreamName, orderContract } from './order.contract';

/**
 * Version skew between independently deployed servers: checks, at start and
 * every `intervalMs`, that each upstream still advertises what the order
 * service uses (its consumer contract). A broken contract makes readiness
 * `degraded` with the reason, sets `mcp_upstream_contract_violations`, logs
 * once, and pauses new orders (so none reserves stock it cannot pay for).
 * An unreachable upstream keeps its last verdict: availability is readiness's
 * other check.
 */
export class ContractGuard {
  private readonly broken = new Map<UpstreamName, string[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly upstreams: Record<UpstreamName, McpUpstream>,
    private readonly deps: { logger: Logger; metrics: ServiceMetrics; intervalMs: number },
  ) {}

  async check(name: UpstreamName): Promise<void> {
    let reasons: string[];
    try {
      reasons = verifyContract(orderContract(name), await this.upstreams[name].listTools()).map(readinessReason);
    } catch {
      return;
    }
    const before = this.broken.get(name)?.join('; ');
    this.deps.metrics.upstreamContractViolations.set({ server: name }, reasons.length);
    if (reasons.length) {
      this.broken.set(name, reasons);
      if (before !== reasons.join('; ')) this.deps.logger.warn('upstream breaks the order service contract: new orders are paused', { server: name, reasons });
    } else if (this.broken.delete(name)) {
      this.deps.logger.info('upstream satisfies the order service contract again', { server: name });
    }
  }

  checkAll(): Promise<void> {
    return Promise.all(UPSTREAM_NAMES.map((name) => this.check(name))).then(() => undefined);
  }

  start(): void {
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The readiness verdict for one upstream's contract, or undefined when it holds (or is not known yet). */
  readiness(name: UpstreamName): CheckResult | undefined {
    const reasons = this.broken.get(name);
    return reasons ? { status: 'degraded', reason: reasons.join('; ') } : undefined;
  }

  /** Throws DEPENDENCY_UNAVAILABLE with the reasons while an upstream breaks the contract. */
  assertCompatible(): void {
    if (this.broken.size === 0) return;
    const reasons = [...this.broken.values()].flat();
    throw new ToolError('DEPENDENCY_UNAVAILABLE', `Orders are paused because an upstream server runs an incompatible version (${reasons.join('; ')}). Nothing was reserved or charged; try again after the deployment is fixed.`, { reasons });
  }
}
