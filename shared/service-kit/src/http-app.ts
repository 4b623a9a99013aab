import express, { Express } from 'express';
import type Redis from 'ioredis';
import { httpServerSpans, type Logger, type ServiceMetrics } from '@fedmcp/instrumentation';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { jsonErrorHandler, mcpRoute } from './mcp-http';
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

/** The express app every service serves on its one port: /mcp, /health, /ready, /metrics. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: every answer is computed per call (POST /mcp, probes), so hashing each body bought nothing.
  app.set('etag', false);
  app.set('trust proxy', false);
  // Every request but the probes gets its HTTP SERVER span here, named by its route.
  const routes = new Set(['/mcp', ...(deps.protectedResource?.paths ?? [])]);
  app.use(httpServerSpans({ route: (path) => (routes.has(path) ? path : undefined) }));
  app.use((req, res, next) => {
    deps.track.begin();
    res.on('close', () => deps.track.end());
    next();
  });

  // /mcp first: it is nearly all the traffic, and the router tries routes in
  // order. DNS-rebinding protection: loopback binds accept only loopback Host
  // and Origin headers; other binds check ALLOWED_HOSTS when it is set.
  const hosts = deps.allowedHosts ?? (isLoopbackHost(deps.host) ? LOOPBACK_NAMES : undefined);
  const guards: express.RequestHandler[] = hosts ? [dnsRebindingGuard(hosts)] : [];
  // Rate limiting runs inside the route, once the caller is known (per principal; per address in open mode).
  const rateLimit = createRateLimit({ service: deps.service, perMinute: deps.rateLimitPerMinute, redis: deps.redis });
  app.all('/mcp', ...guards, ...mcpRoute({ ...deps, rateLimit }));

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
