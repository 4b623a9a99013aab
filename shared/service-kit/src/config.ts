import { z } from 'zod';

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

const port = z.coerce.number().int().min(0).max(65535);

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/.+/.test(v), 'must be a postgres:// or postgresql:// URL');

const redisUrl = z.string().refine((v) => /^rediss?:\/\/.+/.test(v), 'must be a redis:// or rediss:// URL');

const httpUrl = z.string().refine((v) => {
  try {
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.hash;
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL without a fragment');

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** True for a bind address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const hostList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean));

/**
 * Every environment variable a service reads (SPEC, Configuration). Services
 * extend it with their own keys; `process.env` is read nowhere else.
 */
export const baseConfigSchema = z.object({
  /** Listen port; each service has its own default. */
  PORT: port.optional(),
  /** Bind address: 127.0.0.1 locally, 0.0.0.0 in containers. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** postgres:// URL of this service's own database; unset = embedded PGlite. */
  DATABASE_URL: postgresUrl.optional(),
  /** Where embedded databases live (one folder per service). */
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Connections in the PostgreSQL pool. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Shared cache store; unset = in-process cache. */
  REDIS_URL: redisUrl.optional(),
  /** Cache entry lifetime in seconds; 0 disables caching. */
  CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(86400).default(60),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Per tool call budget. */
  TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120000).default(10000),
  /** Host names accepted in the Host header (DNS-rebinding protection). */
  ALLOWED_HOSTS: hostList.optional(),
  /** Seed demo data into an empty embedded database (default on for embedded). */
  SEED_DEMO_DATA: z.enum(['true', 'false', 'auto']).default('auto'),
  /** Requests per client address per minute on /mcp; 0 = unlimited. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  /**
   * Days audit events are kept before the retention job deletes them; 0 keeps
   * them forever. Whatever the value, the database never lets rows of the
   * last day go. Default 365 (PCI DSS asks for a year of audit history).
   */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36500).default(365),
  NODE_ENV: z.string().optional(),
  /** The OAuth authorization server whose access tokens /mcp accepts; unset = open mode (loopback only). */
  AUTH_ISSUER: httpUrl.optional(),
  /** This server's canonical URL, the audience its tokens carry (default http://127.0.0.1:<PORT>/mcp). */
  PUBLIC_URL: httpUrl.optional(),
  /** Where to fetch the issuer's keys when its public address is not reachable from here. */
  AUTH_JWKS_URL: httpUrl.optional(),
  /**
   * true = answer plain 2026-07-28 tool calls without the SDK's per-request
   * exchange (the same answer, half the CPU of a cached read); false = every
   * request goes through the SDK handler.
   */
  MCP_DIRECT_TOOL_CALLS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** true = serve without authorization even on a non-loopback bind (never in production). */
  AUTH_DISABLED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** A configuration error: one line naming the variable and what is wrong. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment against `schema`; throws ConfigError with one clear line. */
export function parseConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings count as unset, as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue.path[0] ?? 'environment');
  const value = env[variable];
  const shown = value === undefined ? 'unset' : `"${value.length > 60 ? value.slice(0, 60) + '…' : value}"`;
  throw new ConfigError(`Invalid configuration: ${variable}=${shown}: ${issue.message}`);
}
