import { sql } from 'drizzle-orm';
import { fc, fuzzEveryTool, fuzzParameters, InProcessService, startInProcess, tableCounts, unique } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';
import { AUTHORIZE_PAYMENT, GET_PAYMENT, PAYMENT_TOOLS } from '../src/payment.tools';
import type { Payment } from '../src/payment.types';

/** Property-based fuzzing of every payment tool (open mode: no AUTH_ISSUER, so no token is needed). */

let svc: InProcessService<Awaited<ReturnType<typeof createPaymentService>>>;

beforeAll(async () => {
  svc = await startInProcess('payment', createPaymentService, { RATE_LIMIT_PER_MINUTE: '0' });
}, 60_000);
afterAll(() => svc?.stop());

const RUNS = 30;
const ROUND_TRIPS = 40;

describe('every payment tool, arguments generated from its advertised input schema', () => {
  fuzzEveryTool({
    tools: PAYMENT_TOOLS,
    client: () => svc.client,
    runs: RUNS,
    state: () => tableCounts((text) => svc.service.db.execute(sql.raw(text))),
  });
});

describe('what you write is what you read back', () => {
  it(`authorize_payment then get_payment: ${ROUND_TRIPS} runs`, async () => {
    const property = fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000_000_00 }), fc.constantFrom('USD', 'EUR', 'JPY'), fc.constantFrom('pm_card_ok', 'pm_card_declined', 'pm_card_insufficient_funds'), async (amount, currency, method) => {
      const ids = { order_id: `ord_${unique()}`, customer_id: `cus_${unique()}` };
      const payment = await svc.client.ok<Payment>(AUTHORIZE_PAYMENT, { ...ids, amount_cents: amount, currency, payment_method: method, idempotency_key: `key-${unique()}` });
      expect(payment).toMatchObject({ ...ids, amount_cents: amount, currency, payment_method: method, status: method === 'pm_card_ok' ? 'authorized' : 'declined' });
      expect(await svc.client.ok<Payment>(GET_PAYMENT, { payment_id: payment.payment_id })).toMatchObject(payment);
    });
    await fc.assert(property, fuzzParameters(ROUND_TRIPS));
  }, 120_000);
});
