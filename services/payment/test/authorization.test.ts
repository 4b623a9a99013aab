import { ProtectedService, resourceServerContract, startProtectedInProcess, startTestIssuer, TestIssuer, unique } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';

// payment as an OAuth protected resource: the platform-wide contract (shared/testing).
let issuer: TestIssuer;
let svc: ProtectedService<Awaited<ReturnType<typeof createPaymentService>>>;
const key = unique();

beforeAll(async () => {
  issuer = await startTestIssuer();
  svc = await startProtectedInProcess('payment', (env?: NodeJS.ProcessEnv) => createPaymentService(env), issuer);
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await issuer?.stop();
});

describe('payment: resource-server contract', () => {
  resourceServerContract(() => ({
    mcpUrl: svc.mcpUrl,
    issuer,
    readScope: 'payment:read',
    otherAudience: 'http://127.0.0.1:3003/mcp',
    write: {
      tool: 'authorize_payment',
      scope: 'payment:write',
      args: () => ({ order_id: `ord_${key}`, customer_id: 'cus_scoped', amount_cents: 500, payment_method: 'pm_card_ok', idempotency_key: `scoped-${key}` }),
      snapshot: async () => (await svc.callAs<{ items: unknown[] }>(['payment:read'], 'list_payments', { order_id: `ord_${key}` })).items.length,
    },
  }));
});
