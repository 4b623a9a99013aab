import * as http from 'node:http';
import * as path from 'node:path';
import { z } from 'zod';
import { createLogger, createMetrics, shutdownTelemetry, Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import { BaseConfig, ConfigError, baseConfigSchema, isLoopbackHost, parseConfig } from './config';
import { AppDatabase, Database, openDatabase } from './database';
import { Cache } from './cache';
import { McpSurface } from './mcp-server';
import { CheckResult, CheckStatus, Readiness, createHttpApp } from './http-app';
import { PromptDefinition, ResourceDefinition, ToolDefinition } from './tools';
import { McpUpstream, UpstreamOptions } from './mcp-client';
import { AccessGate, openGate } from './access';
import { ResourceServer } from './resource-server';
import { AuditBuffer } from './audit/audit-buffer';
import { onUnhandledRejection } from './unhandled';
import { AuditTrail } from './audit/audit-trail';
import { listAuditEventsTool } from './audit/audit.tool';

export interface ServiceOptions<TSchema extends Record<string, unknown>, C extends z.ZodObject> {
  /** Short name: customer, order, product, payment. */
  name: string;
  version: string;
  defaultPort: number;
  /** Drizzle tables of this service. */
  schema: TSchema;
  /** This service's generated SQL migrations. */
  migrationsFolder: string;
  /** Extra configuration keys of this service (merged into the base schema). */
  config?: C;
  /** Read by tools/list clients as server instructions. */
  instructions?: string;
  /** Scope `tools/list`, resources and prompts need (default `<name>:read`). */
  readScope?: string;
  /** Environment to read instead of process.env (tests). */
  env?: NodeJS.ProcessEnv;
}

/** What domain code gets: its config, database, cache, logger and the registration verbs. */
export interface ServiceContext<TSchema extends Record<string, unknown>, TConfig> {
  name: string;
  config: TConfig & BaseConfig;
  db: AppDatabase<TSchema>;
  databaseKind: 'postgres' | 'embedded';
  cache: Cache;
  logger: Logger;
  tool(definition: ToolDefinition<z.ZodObject, z.ZodType>): void;
  resource(definition: ResourceDefinition): void;
  prompt(definition: PromptDefinition<z.ZodObject>): void;
  /** An MCP client for another service of the platform (one per server, reused). */
  upstream(options: Omit<UpstreamOptions, 'metrics' | 'logger'>): McpUpstream;
  /** Adds a readiness check (e.g. upstream servers); failing ones make /ready degraded, with their reason when they give one. */
  readinessCheck(name: string, check: () => Promise<CheckResult>): void;
  /** Runs when the service stops, before the database closes. */
  onStop(hook: () => Promise<void>): void;
}

export interface RunningService {
  url: string;
  mcpUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface Service<TSchema extends Record<string, unknown>, TConfig> extends ServiceContext<TSchema, TConfig> {
  metrics: ServiceMetrics;
  database: Database<TSchema>;
  /** This service's audit trail (`list_audit_events`, retention). */
  audit: AuditTrail;
  start(): Promise<RunningService>;
  stop(): Promise<void>;
  readiness(): Promise<Readiness>;
}

const READINESS_VALUE = { ready: 2, degraded: 1, not_ready: 0 } as const;

/**
 * Builds a domain service: validated config, logger, metrics, database with
 * migrations, cache and the MCP surface. Register tools, then `start()`.
 */
export async function createService<TSchema extends Record<string, unknown>, C extends z.ZodObject = z.ZodObject<{}>>(
  options: ServiceOptions<TSchema, C>,
): Promise<Service<TSchema, z.infer<C>>> {
  const schema = options.config ? baseConfigSchema.extend(options.config.shape) : baseConfigSchema;
  const config = parseConfig(schema, options.env ?? process.env) as BaseConfig & z.infer<C>;
  if (!config.AUTH_ISSUER && !config.AUTH_DISABLED && !isLoopbackHost(config.HOST)) {
    throw new ConfigError(
      `Refusing to start: HOST=${config.HOST} is reachable from other machines and AUTH_ISSUER is unset. Set AUTH_ISSUER to your OAuth authorization server (or AUTH_DISABLED=true to serve without authorization).`,
    );
  }
  const logger = createLogger({ service: options.name, level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: options.name });

  let activeConnections = 0;
  const database = await openDatabase({
    service: options.name,
    url: config.DATABASE_URL,
    embeddedDir: config.DATA_DIR === 'memory://' ? 'memory://' : path.join(config.DATA_DIR, options.name),
    migrationsFolder: options.migrationsFolder,
    schema: options.schema,
    poolMax: config.DATABASE_POOL_MAX,
    observer: {
      namespace: options.name,
      query: (operation, seconds) => metrics.dbQueryDuration.observe({ operation }, seconds),
      connections: (delta) => metrics.dbConnectionsActive.set((activeConnections += delta)),
    },
  });
  metrics.dbConnectionsMax.set(database.poolMax);
  const cache = new Cache({ service: options.name, redisUrl: config.REDIS_URL, ttlSeconds: config.CACHE_TTL_SECONDS, metrics, logger });

  const readScope = options.readScope ?? `${options.name}:read`;
  const auditBuffer = new AuditBuffer({ db: database.db, logger, dropped: (n) => metrics.auditDropped.inc(n), size: (n) => metrics.auditBuffered.set(n) });
  const audit = new AuditTrail(database.db, auditBuffer, logger);
  const surface = new McpSurface({ name: `${options.name}-service`, version: options.version, instructions: options.instructions }, { metrics, logger, timeoutMs: config.TOOL_TIMEOUT_MS, audit });
  surface.addTool(listAuditEventsTool(audit));
  const extraChecks = new Map<string, () => Promise<CheckResult>>();
  const stopHooks: (() => Promise<void>)[] = [];
  const upstreams: McpUpstream[] = [];

  async function readiness(): Promise<Readiness> {
    const checks: Record<string, CheckStatus> = {};
    checks.database = await database.ping().then(
      () => 'ok' as const,
      () => 'unreachable' as const,
    );
    checks.cache = cache.status();
    const reasons: Record<string, string> = {};
    for (const [name, check] of extraChecks) {
      const result = await check().catch(() => 'degraded' as const);
      checks[name] = typeof result === 'string' ? result : result.status;
      if (typeof result !== 'string' && result.reason) reasons[name] = result.reason;
    }
    const status: Readiness['status'] = checks.database !== 'ok' ? 'not_ready' : Object.values(checks).some((c) => c === 'degraded' || c === 'unreachable') ? 'degraded' : 'ready';
    metrics.readiness.set(READINESS_VALUE[status]);
    metrics.dependencyUp.set({ dependency: 'database' }, checks.database === 'ok' ? 1 : 0);
    if (checks.cache !== 'disabled') metrics.dependencyUp.set({ dependency: 'cache' }, checks.cache === 'ok' ? 1 : 0);
    return Object.keys(reasons).length ? { status, checks, reasons } : { status, checks };
  }

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const track = {
    begin: () => void inFlight++,
    end: () => {
      if (--inFlight === 0) drained?.();
    },
  };

  let server: http.Server | undefined;
  let stopping: Promise<void> | undefined;

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_TIMEOUT_MS).unref())]);
        }
        server.closeAllConnections();
        await closed;
      }
      for (const hook of stopHooks) await hook().catch((error) => logger.warn('stop hook failed', { error: String(error) }));
      await audit.close();
      await Promise.all(upstreams.map((u) => u.close()));
      await cache.close();
      await database.close();
      logger.info('service stopped');
    })();
    return stopping;
  }

  const service: Service<TSchema, z.infer<C>> = {
    name: options.name,
    config,
    db: database.db,
    databaseKind: database.kind,
    database,
    cache,
    logger,
    metrics,
    audit,
    tool: (definition) => surface.addTool(definition as ToolDefinition),
    resource: (definition) => surface.addResource(definition),
    prompt: (definition) => surface.addPrompt(definition as PromptDefinition),
    upstream: (upstreamOptions) => {
      const upstream = new McpUpstream({ ...upstreamOptions, metrics, logger });
      upstreams.push(upstream);
      return upstream;
    },
    readinessCheck: (name, check) => void extraChecks.set(name, check),
    onStop: (hook) => void stopHooks.push(hook),
    readiness,
    stop,
    async start() {
      const handler = surface.createHandler((error) => logger.debug('MCP handler reported', { error: error.message }));
      audit.startRetention(config.AUDIT_RETENTION_DAYS);
      // Listen first: the default PUBLIC_URL names the port actually bound (PORT=0 in tests).
      server = http.createServer();
      server.keepAliveTimeout = 65_000; // outlive typical load-balancer idle timeouts
      const port = config.PORT ?? options.defaultPort;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, config.HOST, () => resolve());
      });
      const address = server.address() as { port: number };
      const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      const publicUrl = config.PUBLIC_URL ?? `${url}/mcp`;
      let gate: AccessGate;
      let resourceServer: ResourceServer | undefined;
      if (config.AUTH_ISSUER && !config.AUTH_DISABLED) {
        resourceServer = new ResourceServer({
          issuer: config.AUTH_ISSUER,
          resource: publicUrl,
          jwksUrl: config.AUTH_JWKS_URL,
          readScope,
          toolScopes: surface.toolScopes(),
          scopes: surface.scopes(readScope),
          resourceName: `${options.name} service (fedmcp)`,
          logger,
        });
        gate = resourceServer;
        void resourceServer.warmUp();
      } else {
        gate = openGate(surface.scopes(readScope));
        logger.warn(
          config.AUTH_DISABLED
            ? 'authorization is OFF (AUTH_DISABLED=true): anyone who can reach this port may call every tool'
            : 'authorization is OFF: AUTH_ISSUER is unset, so this loopback-only server accepts every local caller without a token',
        );
      }
      const app = createHttpApp({
        service: options.name,
        host: config.HOST,
        allowedHosts: config.ALLOWED_HOSTS,
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        redis: cache.redisClient(),
        handler,
        direct: config.MCP_DIRECT_TOOL_CALLS ? surface.directCalls() : undefined,
        gate,
        protectedResource: resourceServer && { paths: resourceServer.metadataPaths(), handler: resourceServer.metadataRoute() },
        metrics,
        logger,
        readiness,
        track,
      });
      server.on('request', app);
      logger.info('service started', { url: `${url}/mcp`, database: database.kind, cache: cache.status(), tools: surface.toolNames().length, oauth: resourceServer ? { issuer: config.AUTH_ISSUER, resource: publicUrl } : 'off' });
      return { url, mcpUrl: `${url}/mcp`, port: address.port, stop };
    },
  };
  return service;
}

/**
 * Entry-point helper for `main.ts`: builds and starts the service, stops it
 * gracefully on SIGTERM/SIGINT (exit 0), and turns a bad configuration into
 * one clear line and exit 1.
 */
/**
 * Waits until what was written to stdout/stderr has been handed to the OS
 * (at most `ms`): on a pipe (a container's log) writes are asynchronous, and
 * process.exit would drop the last lines, the shutdown line among them.
 */
function flushStdio(ms = 1000): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  return Promise.race([Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

export async function runService(build: () => Promise<Service<Record<string, unknown>, unknown>>): Promise<void> {
  let service: Service<Record<string, unknown>, unknown>;
  try {
    service = await build();
    await service.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${error instanceof Error && error.name === 'ConfigError' ? '' : 'Failed to start: '}${message}\n`);
    await shutdownTelemetry(1000);
    await flushStdio();
    process.exit(1);
  }
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = true;
    service.logger.info('shutting down', { signal });
    void service
      .stop()
      .then(() => shutdownTelemetry(3000))
      .then(() => flushStdio())
      .then(() => process.exit(0))
      .catch(async (error) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        await flushStdio();
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('unhandledRejection', onUnhandledRejection(service.logger));
}

/**
 * Demo data goes into an empty embedded database by default (so a person
 * trying the platform has something to ask about), never into PostgreSQL
 * unless SEED_DEMO_DATA=true.
 */
export function shouldSeedDemoData(service: { config: BaseConfig; databaseKind: 'postgres' | 'embedded' }): boolean {
  const setting = service.config.SEED_DEMO_DATA;
  return setting === 'true' || (setting === 'auto' && service.databaseKind === 'embedded');
}
