/**
 * The authorization server's configuration: every environment variable it
 * reads, validated once at start (bad values stop it with one clear line).
 */
import { parseConfig, z } from '@fedmcp/service-kit';

const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^/]+/.test(v) && !v.includes('#') && !v.includes('?'), 'must be an http(s) URL without query or fragment');

export const authConfigSchema = z.object({
  /** Listen port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3005),
  /** Bind address: 127.0.0.1 locally, 0.0.0.0 in containers. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The issuer: the URL clients (and the browser) reach this server at. Default http://127.0.0.1:<PORT>. */
  AUTH_ISSUER: httpUrl.optional(),
  /** Keys, the order service's secret and registered clients live in DATA_DIR/auth. */
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Access-token lifetime. */
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(86400).default(3600),
  /** The order service's confidential client. */
  ORDER_CLIENT_ID: z.string().min(1).max(200).default('order-service'),
  /** Its secret; unset = generated at first start and kept in DATA_DIR/auth/order-service-client.json. */
  ORDER_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Trust X-Forwarded-* headers (set behind a TLS-terminating proxy). */
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => parseConfig(authConfigSchema, env);
