import { ProtectedService, resourceServerContract, startProtectedInProcess, startTestIssuer, TestIssuer, unique } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';

// customer as an OAuth protected resource: the platform-wide contract (shared/testing).
let issuer: TestIssuer;
let svc: ProtectedService<Awaited<ReturnType<typeof createCustomerService>>>;
const email = `scoped-${unique()}@example.com`;

beforeAll(async () => {
  issuer = await startTestIssuer();
  svc = await startProtectedInProcess('customer', createCustomerService, issuer);
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await issuer?.stop();
});

describe('customer: resource-server contract', () => {
  resourceServerContract(() => ({
    mcpUrl: svc.mcpUrl,
    issuer,
    readScope: 'customer:read',
    otherAudience: 'http://127.0.0.1:3002/mcp',
    write: {
      tool: 'create_customer',
      scope: 'customer:write',
      args: () => ({ name: 'Scoped Customer', email }),
      snapshot: async () => (await svc.callAs<{ items: unknown[] }>(['customer:read'], 'search_customers', { query: email })).items.length,
    },
  }));
});
