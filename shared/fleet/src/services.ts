/**
 * The fleet manifest: the four domain MCP servers, their default ports and
 * where they live in the monorepo. The local start command, the status
 * command, and the infrastructure checks read this one list.
 */
import * as path from 'node:path';

export type ServiceName = 'customer' | 'order' | 'product' | 'payment';

export interface FleetService {
  /** Short name: the `service` label on every metric, the compose/k8s service name. */
  readonly name: ServiceName;
  /** Default listen port (SPEC, Services). */
  readonly port: number;
  /** OpenTelemetry `service.name`. */
  readonly otelServiceName: string;
  /** npm workspace package name. */
  readonly packageName: string;
  /** Package folder, relative to the repository root. */
  readonly packageDir: string;
  /** Entry point, relative to the package folder (after `npm run build`). */
  readonly entry: string;
  /** Environment variable overriding this service's base URL for `npm run status` (e.g. CUSTOMER_URL). */
  readonly urlEnv: string;
  /**
   * Environment variable through which the order service finds this server's
   * MCP endpoint (e.g. CUSTOMER_MCP_URL); undefined for the order service itself.
   */
  readonly mcpUrlEnv?: string;
}

export const FLEET: readonly FleetService[] = Object.freeze([
  {
    name: 'customer',
    port: 3001,
    otelServiceName: 'customer-service',
    packageName: '@fedmcp/customer',
    packageDir: 'services/customer',
    entry: 'dist/main.js',
    urlEnv: 'CUSTOMER_URL',
    mcpUrlEnv: 'CUSTOMER_MCP_URL',
  },
  {
    name: 'order',
    port: 3002,
    otelServiceName: 'order-service',
    packageName: '@fedmcp/order',
    packageDir: 'services/order',
    entry: 'dist/main.js',
    urlEnv: 'ORDER_URL',
  },
  {
    name: 'product',
    port: 3003,
    otelServiceName: 'product-service',
    packageName: '@fedmcp/product',
    packageDir: 'services/product',
    entry: 'dist/main.js',
    urlEnv: 'PRODUCT_URL',
    mcpUrlEnv: 'PRODUCT_MCP_URL',
  },
  {
    name: 'payment',
    port: 3004,
    otelServiceName: 'payment-service',
    packageName: '@fedmcp/payment',
    packageDir: 'services/payment',
    entry: 'dist/main.js',
    urlEnv: 'PAYMENT_URL',
    mcpUrlEnv: 'PAYMENT_MCP_URL',
  },
] satisfies FleetService[]);

/**
 * The development authorization server (services/auth): not a domain MCP
 * server, so not in FLEET; `npm start` runs it first, on AUTH_PORT or 3005.
 */
export const AUTH_SERVER = Object.freeze({
  name: 'auth',
  port: 3005,
  packageName: '@fedmcp/auth',
  packageDir: 'services/auth',
  entry: 'dist/main.js',
  /** Environment variable overriding its port for `npm start` and `npm run token`. */
  portEnv: 'AUTH_PORT',
});

export const SERVICE_NAMES: readonly ServiceName[] = FLEET.map((s) => s.name);

/** The repository root (this file lives in shared/fleet/{src,dist}). */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

export function getService(name: string): FleetService {
  const svc = FLEET.find((s) => s.name === name);
  if (!svc) {
    throw new Error(`unknown service "${name}" (expected one of ${SERVICE_NAMES.join(', ')})`);
  }
  return svc;
}

/** Absolute path of a service's package folder. */
export function packagePath(svc: Pick<FleetService, 'packageDir'>, root: string = repoRoot()): string {
  return path.join(root, svc.packageDir);
}

/** Default base URL of a service on this machine (or on `host`). */
export function defaultBaseUrl(svc: FleetService, host = '127.0.0.1'): string {
  return `http://${host}:${svc.port}`;
}

/** Default MCP endpoint of a service (what the order service calls). */
export function defaultMcpUrl(svc: FleetService, host = '127.0.0.1'): string {
  return `${defaultBaseUrl(svc, host)}/mcp`;
}
