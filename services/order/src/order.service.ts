import * as path from 'node:path';
import { createService, z } from '@fedmcp/service-kit';
import { schema } from './order.schema';
import { OrderRepository } from './order.repository';
import { OrderSaga } from './order.saga';
import { OrderWorkflow } from './order.workflow';
import { OrderRecovery } from './order.recovery';
import { Upstreams } from './order.upstreams';
import { registerOrderTools } from './order.tools';
import { registerOrderResources } from './order.resources';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

const mcpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of an MCP endpoint, e.g. http://127.0.0.1:3001/mcp' });

/** The order service's own configuration keys. */
export const orderConfig = z.object({
  CUSTOMER_MCP_URL: mcpUrl.default('http://127.0.0.1:3001/mcp'),
  PRODUCT_MCP_URL: mcpUrl.default('http://127.0.0.1:3003/mcp'),
  PAYMENT_MCP_URL: mcpUrl.default('http://127.0.0.1:3004/mcp'),
  /** Budget of one upstream call attempt. */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(50).max(5000).default(1500),
  /** How long a saga runner holds an order before recovery may take it over. */
  ORDER_LEASE_MS: z.coerce.number().int().min(500).max(600000).default(15000),
  /** How often unfinished orders and owed compensations are retried. */
  RECOVERY_INTERVAL_MS: z.coerce.number().int().min(200).max(600000).default(10000),
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
  const upstream = (name: string, url: string) => service.upstream({ name, url, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
  const customers = upstream('customer', config.CUSTOMER_MCP_URL);
  const products = upstream('product', config.PRODUCT_MCP_URL);
  const payments = upstream('payment', config.PAYMENT_MCP_URL);
  for (const u of [customers, products, payments]) service.readinessCheck(u.name, async () => ((await u.ready()) ? 'ok' : 'degraded'));

  const repo = new OrderRepository(service.db);
  const saga = new OrderSaga(repo, new Upstreams(customers, products, payments), logger);
  const workflow = new OrderWorkflow(repo, saga, logger, { leaseMs: config.ORDER_LEASE_MS, answerWithinMs: Math.max(500, config.TOOL_TIMEOUT_MS - 1000) });
  const recovery = new OrderRecovery(repo, saga, workflow, logger, { intervalMs: config.RECOVERY_INTERVAL_MS, leaseMs: config.ORDER_LEASE_MS });
  registerOrderTools(service, repo, workflow);
  registerOrderResources(service, repo);

  service.onStop(async () => {
    recovery.stop();
    await workflow.drain(config.SHUTDOWN_TIMEOUT_MS);
  });
  const start = service.start.bind(service);
  return Object.assign(service, {
    recovery,
    /** Starts serving, then recovers orders a previous run left unfinished. */
    async start() {
      const running = await start();
      recovery.start();
      return running;
    },
  });
}
