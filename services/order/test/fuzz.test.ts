import { sql } from 'drizzle-orm';
import { fuzzEveryTool, InProcessService, startInProcess, tableCounts } from '@fedmcp/testing';
import { createOrderService } from '../src/order.service';
import { ORDER_TOOLS } from '../src/order.tools';

/**
 * Property-based fuzzing of every order tool (open mode: no AUTH_ISSUER, so no
 * token is needed). The upstreams point at a closed port: valid orders end
 * `failed` with DEPENDENCY_UNAVAILABLE quickly, which is a normal result; the
 * saga against real upstreams is the end-to-end suites' job.
 */

let svc: InProcessService<Awaited<ReturnType<typeof createOrderService>>>;

beforeAll(async () => {
  const nowhere = 'http://127.0.0.1:9/mcp';
  // No recovery sweep during the run: it retries the compensations the failed orders owe and
  // writes saga steps in the background, which a refused call's "nothing changed" check would see.
  svc = await startInProcess('order', createOrderService, {
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'error',
    RECOVERY_INTERVAL_MS: '600000',
    CUSTOMER_MCP_URL: nowhere,
    PRODUCT_MCP_URL: nowhere,
    PAYMENT_MCP_URL: nowhere,
  });
}, 60_000);
afterAll(() => svc?.stop());

describe('every order tool, arguments generated from its advertised input schema', () => {
  fuzzEveryTool({
    tools: ORDER_TOOLS,
    client: () => svc.client,
    runs: 25,
    state: () => tableCounts((text) => svc.service.db.execute(sql.raw(text))),
  });
});
