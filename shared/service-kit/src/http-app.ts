import express, { Express } from 'express';
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterAbstract } from 'rate-limiter-flexible';
import type Redis from 'ioredis';
import type { Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { jsonErrorHandler, jsonRpcError, mcpRoute } from './mcp-http';

export type CheckStatus = 'ok' | 'degraded' | 'disabled' | 'unreachable';

export interface Readiness {
  status: 'ready' | 'degraded' | 'not_ready';
  checks: Record<string, CheckStatus>;
}

export interface HttpAppDeps {
  service: string;
  host: string;
  allowedHosts?: string[];
  rateLimitPerMinute: number;
  redis?: Redis;
  handler: McpHttpHandler;
  metrics: ServiceMetrics;
  logger: Logger;
  readiness: () => Promise<Readiness>;
  /** Counts requests in flight, for graceful shutdown. */
  track: { begin(): void; end(): void };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function rateLimiter(deps: HttpAppDeps): RateLimiterAbstract | undefined {
  if (deps.rateLimitPerMinute === 0) return undefined;
  const options = { points: deps.rateLimitPerMinute, duration: 60, keyPrefix: `${deps.service}:rl` };
  const memory = new RateLimiterMemory(options);
  // Shared across replicas through Redis; per process while Redis is away.
  return deps.redis ? new RateLimiterRedis({ ...options, storeClient: deps.redis, insuranceLimiter: memory }) : memory;
}

/** The express app every service serves on its one port: /mcp, /health, /ready, /metrics. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((req, res, next) => {
    deps.track.begin();
    res.on('close', () => deps.track.end());
    next();
  });

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

  // DNS-rebinding protection: loopback binds accept only loopback Host and
  // Origin headers; other binds check ALLOWED_HOSTS when it is set.
  const guards: express.RequestHandler[] = [];
  const hosts = deps.allowedHosts ?? (LOOPBACK.has(deps.host) ? LOOPBACK_NAMES : undefined);
  if (hosts) {
    guards.push(hostHeaderValidation(hosts));
    guards.push(originValidation(hosts));
  }
  const limiter = rateLimiter(deps);
  if (limiter) {
    guards.push(async (req, res, next) => {
      try {
        await limiter.consume(req.socket.remoteAddress ?? 'unknown');
        next();
      } catch (rejection) {
        if (rejection instanceof Error) return next(); // limiter store failure: serve rather than refuse
        deps.metrics.requests.inc({ method: 'rate_limited', status: 'error' });
        res.setHeader('Retry-After', String(Math.ceil(((rejection as { msBeforeNext?: number }).msBeforeNext ?? 1000) / 1000)));
        jsonRpcError(res, 429, -32000, 'RATE_LIMITED: too many requests from this client; retry after the Retry-After seconds');
      }
    });
  }
  app.all('/mcp', ...guards, ...mcpRoute(deps));

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such endpoint. MCP is served at POST /mcp; also GET /health, /ready, /metrics.' } });
  });
  app.use(jsonErrorHandler(deps.logger));
  return app;
}
