import * as path from 'node:path';
import { ClientCredentialsTokenSource, ConfigError, createService, z } from '@fedmcp/service-kit';
import { schema } from './order.schema';
import { OrderRepository } from './order.repository';
import { OrderSaga } from './order.saga';
import { OrderWorkflow } from './order.workflow';
import { OrderRecovery } from './order.recovery';
import { Upstreams } from './order.upstreams';
import { registerOrderTools } from './order.tools';
import { registerOrderResources } from './order.resources';
import { orderServiceSource, registerReconcileTool } from './reconcile/reconcile.tools';
import { ContractGuard } from './order.skew';
import type { UpstreamName } from './order.contract';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

const mcpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of an MCP endpoint, e.g. http://127.0.0.1:3001/mcp' });

/** The order service's own configuration keys. */
export const orderConfig = z.object({
  CUSTOMER_MCP_URL: mcpUrl.default('http://127.0.0.1:3001/mcp'),
  PRODUCT_MCP_URL: mcpUrl.default('http://127.0.0.1:3003/mcp'),
  PAYMENT_MCP_URL: mcpUrl.default('http://127.0.0.1:3004/mcp'),
  /** Canonical URL of each upstream (its PUBLIC_URL, the audience of our tokens) when it differs from *_MCP_URL, e.g. behind a proxy. */
  CUSTOMER_PUBLIC_URL: mcpUrl.optional(),
  PRODUCT_PUBLIC_URL: mcpUrl.optional(),
  PAYMENT_PUBLIC_URL: mcpUrl.optional(),
  /** This service's own OAuth client (client-credentials grant); required when AUTH_ISSUER is set. */
  AUTH_CLIENT_ID: z.string().min(1).max(200).optional(),
  AUTH_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  /** Token endpoint to use instead of the issuer's discovered one (when the issuer's address is not reachable from here). */
  AUTH_TOKEN_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Budget of one upstream call attempt. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(5000).default(1500),
  /** How long a saga runner holds an order before recovery may take it over. */
  ORDER_LEASE_MS: z.coerce.number().int().min(500).max(600000).default(15000),
  /** How often unfinished orders and owed compensations are retried. */
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(200).max(600000).default(10000),
  /** How often the upstreams' advertised tools are checked against the order service's consumer contracts. */
  CONTRACT_CHECK_INTERVAL_MS: z.coerce.number().int().min(200).max(3600000).default(30000),
});

/** The order service: orchestrates the other three over MCP, owns orders and the saga log. */
export async function createOrderService(env?: NodeJS.ProcessEnv) {
  const service = await createService({
    name: 'order',
    version,
    defaultPort: 3002,
    schema,
    migrationsFolder: path.join(__dirname, '..', 'drizzle'),
    config: orderConfig,
    instructions: 'Orders of the commerce platform: place an order (it checks the customer, reserves stock and takes payment), look orders up, list them and cancel confirmed ones.',
    env,
  });
  const { config, logger } = service;
  let tokens: ClientCredentialsTokenSource | undefined;
  if (config.AUTH_ISSUER && !config.AUTH_DISABLED) {
    if (!config.AUTH_CLIENT_ID || !config.AUTH_CLIENT_SECRET) {
      await service.stop();
      const missing = config.AUTH_CLIENT_ID ? 'AUTH_CLIENT_SECRET' : 'AUTH_CLIENT_ID';
      throw new ConfigError(`Invalid configuration: ${missing}=unset: with AUTH_ISSUER set the order service calls the other servers as its own OAuth client; set AUTH_CLIENT_ID and AUTH_CLIENT_SECRET`);
    }
    tokens = new ClientCredentialsTokenSource({ issuer: config.AUTH_ISSUER, clientId: config.AUTH_CLIENT_ID, clientSecret: config.AUTH_CLIENT_SECRET, tokenUrl: config.AUTH_TOKEN_URL, logger });
  }
  // Each upstream gets this service's own token for its audience, with the scopes the saga's calls need there.
  const upstream = (name: string, url: string, publicUrl: string | undefined, scopes: string[]) =>
    service.upstream({ name, url, timeoutMs: config.UPSTREAM_TIMEOUT_MS, auth: tokens && { tokens, resource: publicUrl ?? url, scopes } });
  const customers = upstream('customer', config.CUSTOMER_MCP_URL, config.CUSTOMER_PUBLIC_URL, ['customer:read']);
  const products = upstream('product', config.PRODUCT_MCP_URL, config.PRODUCT_PUBLIC_URL, ['inventory:reserve', 'product:read']);
  const payments = upstream('payment', config.PAYMENT_MCP_URL, config.PAYMENT_PUBLIC_URL, ['payment:write', 'payment:refund', 'payment:read']);
  const contracts = new ContractGuard({ customer: customers, product: products, payment: payments }, { logger, metrics: service.metrics, intervalMs: config.CONTRACT_CHECK_INTERVAL_MS });
  for (const u of [customers, products, payments]) {
    service.readinessCheck(u.name, async () => contracts.readiness(u.name as UpstreamName) ?? ((await u.ready()) ? 'ok' : 'degraded'));
  }

  const repo = new OrderRepository(service.db);
  const upstreams = new Upstreams(customers, products, payments);
  const saga = new OrderSaga(repo, upstreams, logger);
  const workflow = new OrderWorkflow(repo, saga, logger, { leaseMs: config.ORDER_LEASE_MS, answerWithinMs: Math.max(500, config.TOOL_TIMEOUT_MS - 1000) });
  const recovery = new OrderRecovery(repo, saga, workflow, logger, { intervalMs: config.RECOVERY_INTERVAL_MS, leaseMs: config.ORDER_LEASE_MS });
  registerOrderTools(service, repo, workflow, contracts);
  registerOrderResources(service, repo);
  registerReconcileTool(service, orderServiceSource(repo, upstreams));

  service.onStop(async () => {
    recovery.stop();
    contracts.stop();
    await workflow.drain(config.SHUTDOWN_TIMEOUT_MS);
  });
  const start = service.start.bind(service);
  return Object.assign(service, {
    recovery,
    /** Starts serving, then recovers orders a previous run left unfinished. */
    async start() {
      const running = await start();
      contracts.start();
      recovery.start();
      return running;
    },
  });
}

