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
import { ON_BEHALF_OF_META, PartyRef } from './tools';
import type { ClientCredentialsTokenSource } from './client-credentials';
import { installLeakFreeAbortSignalAny } from './abort-signal';
import { keepAliveFetch } from './http-fetch';

let sharedFetch: typeof fetch | undefined;
/** One keep-alive connection pool per process for every upstream (see keepAliveFetch). */
function upstreamFetch(): typeof fetch {
  sharedFetch ??= keepAliveFetch();
  return sharedFetch;
}

/** How the service authenticates to one upstream: its own client-credentials token for that audience. */
export interface UpstreamAuth {
  tokens: ClientCredentialsTokenSource;
  /** The upstream's canonical URL (its PUBLIC_URL): the token's audience. */
  resource: string;
  /** Scopes the calls to this upstream need. */
  scopes: string[];
}

/** The `scope` and `error` of a WWW-Authenticate Bearer challenge, for the log line. */
function challengeOf(header: string | null): { error?: string; scope?: string } {
  if (!header) return {};
  return { error: /error="([^"]*)"/.exec(header)?.[1], scope: /scope="([^"]*)"/.exec(header)?.[1] };
}

export const MODERN_PROTOCOL_VERSION = '2026-07-28';

export interface UpstreamOptions {
  /** Short name of the other service (`product`), used in metrics and messages. */
  name: string;
  url: string;
  /** Budget of one attempt (default 1500 ms). */
  timeoutMs?: number;
  /** Set when authorization is on: calls carry the service's own token (never a caller's). */
  auth?: UpstreamAuth;
  metrics: ServiceMetrics;
  logger: Logger;
}

export interface CallOptions {
  /** Only idempotent calls are retried (once, after a short backoff). */
  idempotent: boolean;
  signal?: AbortSignal;
  /** The end user this call acts for: sent as `params._meta["io.fedmcp/on_behalf_of"]` (data, never a token). */
  onBehalfOf?: PartyRef | null;
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
 * CLIENT span with `traceparent` in `params._meta` and in the HTTP headers
 * (requests go over keep-alive node:http, see keepAliveFetch, which adds the
 * header), a per-attempt timeout, a retry only when the step is idempotent,
 * and a circuit breaker so a dead upstream fails fast.
 */
export class McpUpstream {
  private client: Promise<Client> | undefined;
  private readonly policy: IPolicy;
  private readonly idempotentPolicy: IPolicy;
  private readonly timeoutMs: number;
  private readonly url: URL;

  constructor(private readonly options: UpstreamOptions) {
    // The SDK transport combines a long-lived signal with each request's: leak-free only with this.
    installLeakFreeAbortSignalAny();
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.url = new URL(options.url);
    // Open after 5 failures in a row; then one trial call a second (cheap, even against a dead
    // upstream), so a restarted upstream is used again within about a second of coming back
    // (it was 5 s: the chaos run's recovery after a restart was mostly this wait).
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(5) });
    // abortOnReturn off: the call is over when it returns, and aborting its signal then built a
    // DOMException (with its stack) per upstream call, ~1.4% of the order service's CPU.
    const attempt = timeout(this.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
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
      await client.connect(new StreamableHTTPClientTransport(this.url, { fetch: this.options.auth ? this.authorizedFetch(this.options.auth) : upstreamFetch() }));
      return client;
    })().catch((error) => {
      this.client = undefined; // try again on the next call
      throw error;
    });
    return this.client;
  }

  /**
   * A fetch that sends this service's token for the upstream's audience. A
   * 401 (the token expired or the upstream's keys rotated) gets one retry
   * with a fresh token; a refusal that remains is logged with the scope the
   * upstream asked for and surfaces as DEPENDENCY_UNAVAILABLE.
   */
  private authorizedFetch(auth: UpstreamAuth): typeof fetch {
    const { logger, name } = this.options;
    return async (input, init) => {
      const send = async () => {
        const token = await auth.tokens.token(auth.resource, auth.scopes);
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        return { token, response: await upstreamFetch()(input, { ...init, headers }) };
      };
      let { token, response } = await send();
      if (response.status === 401) {
        auth.tokens.invalidate(auth.resource, token);
        await response.body?.cancel();
        ({ token, response } = await send());
      }
      if (response.status === 401 || response.status === 403) {
        const challenge = challengeOf(response.headers.get('www-authenticate'));
        logger.warn('upstream refused this service\'s access token', { server: name, status: response.status, error: challenge.error, needs_scope: challenge.scope, resource: auth.resource });
      }
      return response;
    };
  }

  /**
   * Runs `attempt` under `policy`, with `parent` (the caller's signal) or a
   * signal of this call's own as the policies' parent. cockatiel's default
   * parent is one never-aborted signal for the whole process, and its timeout
   * policy hangs an abort listener on the parent for every call in flight:
   * past ten concurrent upstream calls node warned of a leak
   * (MaxListenersExceededWarning). The attempt's signal follows the parent,
   * so a caller's signal needs no merging into it.
   */
  private execute<T>(policy: IPolicy, attempt: (signal: AbortSignal) => Promise<T>, parent: AbortSignal = new AbortController().signal): Promise<T> {
    return policy.execute(({ signal }) => attempt(signal), parent);
  }

  /** Pings the upstream's /ready; used as a readiness check. */
  async ready(): Promise<boolean> {
    try {
      const response = await upstreamFetch()(new URL('/ready', this.url), { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
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
        this.execute(
          policy,
          async (signal) => {
            const client = await this.connect();
            return client.callTool({ name: tool, arguments: args, _meta: injectMeta(options.onBehalfOf ? { [ON_BEHALF_OF_META]: { sub: options.onBehalfOf.sub, client_id: options.onBehalfOf.client_id } } : {}, ctx) }, { signal, timeout: this.timeoutMs });
          },
          options.signal,
        ),
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

  /** The tools the upstream advertises (for contract checks); DEPENDENCY_UNAVAILABLE when it cannot be reached. */
  async listTools(): Promise<{ name: string; inputSchema: unknown; outputSchema?: unknown }[]> {
    try {
      // Bypass the SDK's tools/list cache: a cached list makes the next callTool compile
      // every output schema again (ajv keeps each compiled copy: memory grew with every check).
      const result = await this.execute(this.idempotentPolicy, async (signal) => (await this.connect()).listTools(undefined, { signal, timeout: this.timeoutMs, cacheMode: 'bypass' }));
      return result.tools;
    } catch (error) {
      throw new ToolError('DEPENDENCY_UNAVAILABLE', `The ${this.options.name} service did not list its tools (${error instanceof Error ? error.message : String(error)}).`);
    }
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
