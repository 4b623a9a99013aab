import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  BrokenCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
  IPolicy,
} from 'cockatiel';
import { context, injectMeta, markSpanError, markToolError, startMcpClientSpan, Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import { ErrorCode, ToolError, ToolErrorBody } from './errors';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';

export interface UpstreamOptions {
  /** Short name of the other service (`product`), used in metrics and messages. */
  name: string;
  url: string;
  /** Budget of one attempt (default 1500 ms). */
  timeoutMs?: number;
  metrics: ServiceMetrics;
  logger: Logger;
}

export interface CallOptions {
  /** Only idempotent calls are retried (once, after a short backoff). */
  idempotent: boolean;
  signal?: AbortSignal;
}

/** An upstream tool answered with `isError: true`. */
export class UpstreamToolError extends ToolError {
  constructor(
    readonly server: string,
    readonly tool: string,
    body: ToolErrorBody,
  ) {
    super(body.code, body.message, body.details);
    this.name = 'UpstreamToolError';
  }
}

const KNOWN_CODES = new Set<string>(['VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'INSUFFICIENT_STOCK', 'PAYMENT_DECLINED', 'CUSTOMER_INACTIVE', 'DEPENDENCY_UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'UNAUTHORIZED', 'FORBIDDEN', 'INTERNAL']);

function errorBodyOf(result: { structuredContent?: unknown; content?: unknown }): ToolErrorBody {
  const error = (result.structuredContent as { error?: Partial<ToolErrorBody> } | undefined)?.error;
  const code = error?.code && KNOWN_CODES.has(error.code) ? error.code : 'INTERNAL';
  return { code: code as ErrorCode, message: error?.message ?? 'upstream tool failed', details: error?.details };
}

/**
 * One MCP client per upstream server, reused for every call (protocol
 * 2026-07-28: no initialize round trip, any replica answers). Each call gets a
 * CLIENT span with `traceparent` in `params._meta` (the HTTP header is added
 * by the undici instrumentation), a per-attempt timeout, a retry only when the
 * step is idempotent, and a circuit breaker so a dead upstream fails fast.
 */
export class McpUpstream {
  private client: Promise<Client> | undefined;
  private readonly policy: IPolicy;
  private readonly idempotentPolicy: IPolicy;
  private readonly timeoutMs: number;
  private readonly url: URL;

  constructor(private readonly options: UpstreamOptions) {
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.url = new URL(options.url);
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 5000, breaker: new ConsecutiveBreaker(5) });
    const attempt = timeout(this.timeoutMs, TimeoutStrategy.Aggressive);
    const retryOnce = retry(handleAll, { maxAttempts: 1, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 200 }) });
    this.policy = wrap(breaker, attempt);
    this.idempotentPolicy = wrap(retryOnce, breaker, attempt);
  }

  get name(): string {
    return this.options.name;
  }

  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const client = new Client({ name: 'order-service', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION } } });
      await client.connect(new StreamableHTTPClientTransport(this.url));
      return client;
    })().catch((error) => {
      this.client = undefined; // try again on the next call
      throw error;
    });
    return this.client;
  }

  /** Pings the upstream's /ready; used as a readiness check. */
  async ready(): Promise<boolean> {
    try {
      const response = await fetch(new URL('/ready', this.url), { signal: AbortSignal.timeout(1000) });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Calls `tool` and returns its structuredContent. Throws UpstreamToolError
   * for an `isError` result, ToolError DEPENDENCY_UNAVAILABLE when the server
   * cannot be reached (or its circuit is open) and TIMEOUT when it is too slow.
   */
  async callTool<T = Record<string, unknown>>(tool: string, args: Record<string, unknown>, options: CallOptions): Promise<T> {
    const { metrics, name } = this.options;
    const { span, ctx } = startMcpClientSpan({ method: 'tools/call', target: tool, protocolVersion: MODERN_PROTOCOL_VERSION, serverAddress: this.url.hostname, serverPort: Number(this.url.port) || undefined });
    const started = process.hrtime.bigint();
    let status = 'success';
    try {
      const policy = options.idempotent ? this.idempotentPolicy : this.policy;
      const result = await context.with(ctx, () =>
        policy.execute(async ({ signal }) => {
          const client = await this.connect();
          const merged = options.signal ? AbortSignal.any([signal, options.signal]) : signal;
          return client.callTool({ name: tool, arguments: args, _meta: injectMeta({}, ctx) }, { signal: merged, timeout: this.timeoutMs });
        }, options.signal),
      );
      if (result.isError) {
        const body = errorBodyOf(result);
        status = 'error';
        markToolError(span, body.code, body.message);
        throw new UpstreamToolError(name, tool, body);
      }
      return (result.structuredContent ?? {}) as T;
    } catch (error) {
      if (error instanceof UpstreamToolError) throw error;
      status = 'error';
      const timedOut = error instanceof TaskCancelledError || /timed? ?out/i.test(String((error as Error)?.message));
      markSpanError(span, timedOut ? 'timeout' : error instanceof BrokenCircuitError ? 'circuit_open' : 'unavailable', error);
      this.options.logger.warn('upstream call failed', { server: name, tool, error: error instanceof Error ? error.message : String(error) });
      if (timedOut) throw new ToolError('TIMEOUT', `The ${name} service did not answer ${tool} in time; try again shortly.`, { server: name, tool });
      throw new ToolError('DEPENDENCY_UNAVAILABLE', `The ${name} service is unavailable right now (${tool} could not be called); try again shortly.`, { server: name, tool });
    } finally {
      span.end();
      metrics.upstreamCalls.inc({ server: name, tool, status });
      metrics.upstreamDuration.observe({ server: name, tool }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
