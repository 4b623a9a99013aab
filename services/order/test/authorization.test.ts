import { ProtectedService, resourceServerContract, startProtectedInProcess, startTestIssuer, TestIssuer, unique } from '@fedmcp/testing';
import { createOrderService } from '../src/order.service';

// order as an OAuth protected resource: the platform-wide contract (shared/testing).
let issuer: TestIssuer;
let svc: ProtectedService<Awaited<ReturnType<typeof createOrderService>>>;
const key = unique();

beforeAll(async () => {
  issuer = await startTestIssuer();
  // Upstreams point at a closed port: only admission is under test here.
  const nowhere = 'http://127.0.0.1:9/mcp';
  svc = await startProtectedInProcess('order', createOrderService, issuer, {
    CUSTOMER_MCP_URL: nowhere,
    PRODUCT_MCP_URL: nowhere,
    PAYMENT_MCP_URL: nowhere,
    AUTH_CLIENT_ID: 'order-service',
    AUTH_CLIENT_SECRET: 'not-used-here',
  });
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await issuer?.stop();
});

describe('order: resource-server contract', () => {
  resourceServerContract(() => ({
    mcpUrl: svc.mcpUrl,
    issuer,
    readScope: 'order:read',
    otherAudience: 'http://127.0.0.1:3001/mcp',
    write: {
      tool: 'create_order',
      scope: 'order:write',
      args: () => ({ customer_id: 'cus_scoped', items: [{ product_id: 'prd_scoped', quantity: 1 }], payment_method: 'pm_card_ok', idempotency_key: `scoped-${key}` }),
      snapshot: async () => (await svc.callAs<{ items: unknown[] }>(['order:read'], 'list_orders', { customer_id: 'cus_scoped' })).items.length,
      // The other servers are not running here: the order fails on them, but the call was admitted.
      expectChange: false,
    },
  }));
});
