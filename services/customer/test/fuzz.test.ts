import { sql } from 'drizzle-orm';
import { cleanText, fc, fuzzEnvelope, fuzzEveryTool, fuzzParameters, InProcessService, startInProcess, tableCounts, unique } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';
import { CREATE_CUSTOMER, CUSTOMER_TOOLS, GET_CUSTOMER, UPDATE_CUSTOMER } from '../src/customer.tools';
import type { Customer } from '../src/customer.repository';

/** Property-based fuzzing of every customer tool (open mode: no AUTH_ISSUER, so no token is needed). */

let svc: InProcessService<Awaited<ReturnType<typeof createCustomerService>>>;

beforeAll(async () => {
  svc = await startInProcess('customer', createCustomerService, { RATE_LIMIT_PER_MINUTE: '0' });
}, 60_000);
afterAll(() => svc?.stop());

const RUNS = 40;
const ROUND_TRIPS = 40;

describe('every customer tool, arguments generated from its advertised input schema', () => {
  fuzzEveryTool({
    tools: CUSTOMER_TOOLS,
    client: () => svc.client,
    runs: RUNS,
    state: () => tableCounts((text) => svc.service.db.execute(sql.raw(text))),
  });
});

const phone = fc.stringMatching(/^\+?[0-9][0-9 ()\-.]{2,30}[0-9]$/);

describe('what you write is what you read back, byte for byte', () => {
  it(`create_customer then get_customer: ${ROUND_TRIPS} runs`, async () => {
    const property = fc.asyncProperty(cleanText(1, 200), fc.option(phone, { nil: undefined }), fc.constantFrom('free', 'pro', 'enterprise'), async (name, phoneNumber, tier) => {
      const email = `rt-${unique()}@example.com`;
      const created = await svc.client.ok<Customer>(CREATE_CUSTOMER, { name, email, tier, ...(phoneNumber ? { phone: phoneNumber } : {}) });
      expect(created).toMatchObject({ name, email, tier, phone: phoneNumber ?? null });
      expect(await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: created.customer_id })).toEqual(created);
    });
    await fc.assert(property, fuzzParameters(ROUND_TRIPS));
  }, 120_000);

  it(`update_customer then get_customer: ${ROUND_TRIPS} runs`, async () => {
    const customer = await svc.client.ok<Customer>(CREATE_CUSTOMER, { name: 'Before', email: `upd-${unique()}@example.com` });
    const property = fc.asyncProperty(cleanText(1, 200), async (name) => {
      const updated = await svc.client.ok<Customer>(UPDATE_CUSTOMER, { customer_id: customer.customer_id, name });
      expect(updated.name).toBe(name);
      expect((await svc.client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).name).toBe(name);
    });
    await fc.assert(property, fuzzParameters(ROUND_TRIPS));
  }, 120_000);
});

describe('the raw HTTP / JSON-RPC envelope', () => {
  fuzzEnvelope(() => svc.mcpUrl, 150);
});
