import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type Redis from 'ioredis';
import { httpServerSpans, pathOf, type Logger, type ServiceMetrics } from '@fedmcp/instrumentation';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { jsonErrorHandler, mcpHandler } from './mcp-http';
import type { DirectCalls } from './mcp-server';
import { createRateLimit } from './rate-limit';
import type { AccessGate } from './access';
import { isLoopbackHost } from './config';
import { dnsRebindingGuard } from './dns-rebinding';

export type CheckStatus = 'ok' | 'degraded' | 'disabled' | 'unreachable';

export interface Readiness {
  status: 'ready' | 'degraded' | 'not_ready';
  checks: Record<string, CheckStatus>;
  /** Why a check is not ok, where it can say (e.g. `product: reserve_inventory lacks argument order_id`). */
  reasons?: Record<string, string>;
}

/** What a readiness check answers: a status, or a status with its reason. */
export type CheckResult = CheckStatus | { status: CheckStatus; reason?: string };

export interface HttpAppDeps {
  service: string;
  host: string;
  allowedHosts?: string[];
  rateLimitPerMinute: number;
  redis?: Redis;
  handler: McpHttpHandler;
  /** Modern tool calls answered without the SDK handler; absent = every request goes to the SDK. */
  direct?: DirectCalls;
  gate: AccessGate;
  /** RFC 9728 protected-resource metadata (when authorization is on). */
  protectedResource?: { paths: string[]; handler: express.RequestHandler };
  metrics: ServiceMetrics;
  logger: Logger;
  readiness: () => Promise<Readiness>;
  /** Counts requests in flight, for graceful shutdown. */
  track: { begin(): void; end(): void };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Paths express's router would match to `/mcp` (case-insensitive, an optional trailing slash), query string aside. */
function isMcpPath(url: string | undefined): boolean {
  const path = pathOf(url).toLowerCase();
  return path === '/mcp' || path === '/mcp/';
}

/**
 * What every service serves on its one port: /mcp, and /health, /ready,
 * /metrics (and the protected-resource metadata) from an express app.
 * /mcp is nearly all the traffic: it is answered by one plain handler, not
 * through express's router, whose layers and request/response decoration
 * were a tenth of a cached read.
 */
export function createHttpApp(deps: HttpAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  // Every request but the probes gets its HTTP SERVER span, named by its route.
  const routes = new Set(deps.protectedResource?.paths ?? []);
  const spans = httpServerSpans({ route: (path) => (isMcpPath(path) ? '/mcp' : routes.has(path) ? path : undefined) });
  // DNS-rebinding protection: loopback binds accept only loopback Host and
  // Origin headers; other binds check ALLOWED_HOSTS when it is set.
  const hosts = deps.allowedHosts ?? (isLoopbackHost(deps.host) ? LOOPBACK_NAMES : undefined);
  // Rate limiting runs inside the handler, once the caller is known (per principal; per address in open mode).
  const rateLimit = createRateLimit({ service: deps.service, perMinute: deps.rateLimitPerMinute, redis: deps.redis });
  const mcp = mcpHandler({ ...deps, rateLimit, guard: hosts ? dnsRebindingGuard(hosts) : undefined });
  const app = probesApp(deps);
  const end = () => deps.track.end();
  return (req, res) => {
    deps.track.begin();
    res.once('close', end);
    spans(req, res, () => (isMcpPath(req.url) ? void mcp(req, res) : app(req, res)));
  };
}

/** The express app of everything but /mcp. */
function probesApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: every answer is computed per call, so hashing each body buys nothing.
  app.set('etag', false);
  app.set('trust proxy', false);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: deps.service });
  });

  app.get('/ready', async (_req, res) => {
    const readiness = await deps.readiness();
    res.status(readiness.status === 'not_ready' ? 503 : 200).json(readiness);
  });

  app.get('/metrics', async (_req, res) => {
    await deps.readiness(); // refreshes the readiness gauges
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  if (deps.protectedResource) app.get(deps.protectedResource.paths, deps.protectedResource.handler);

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such endpoint. MCP is served at POST /mcp; also GET /health, /ready, /metrics.' } });
  });
  app.use(jsonErrorHandler(deps.logger));
  return app;
}
