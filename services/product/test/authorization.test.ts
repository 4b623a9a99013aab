import { ProtectedService, resourceServerContract, startProtectedInProcess, startTestIssuer, TestIssuer, unique } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';

// product as an OAuth protected resource: the platform-wide contract (shared/testing).
let issuer: TestIssuer;
let svc: ProtectedService<Awaited<ReturnType<typeof createProductService>>>;
const key = unique();

beforeAll(async () => {
  issuer = await startTestIssuer();
  svc = await startProtectedInProcess('product', createProductService, issuer);
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await issuer?.stop();
});

describe('product: resource-server contract', () => {
  resourceServerContract(() => ({
    mcpUrl: svc.mcpUrl,
    issuer,
    readScope: 'product:read',
    otherAudience: 'http://127.0.0.1:3004/mcp',
    write: {
      tool: 'create_product',
      scope: 'product:write',
      args: () => ({ sku: `SCOPE-${key}`, name: 'Scoped product', price_cents: 100, stock: 1 }),
      snapshot: async () => (await svc.callAs<{ items: unknown[] }>(['product:read'], 'search_products', { query: `SCOPE-${key}` })).items.length,
    },
  }));
});
