import { InProcessService, Page, startInProcess, TestClient } from '@fedmcp/testing';
import type { Client } from '@modelcontextprotocol/client';
import { createCustomerService } from '../src/customer.service';
import { CREATE_CUSTOMER, CUSTOMER_TOOLS, GET_CUSTOMER, SEARCH_CUSTOMERS, UPDATE_CUSTOMER } from '../src/customer.tools';
import { ANALYZE_CUSTOMER_CHURN } from '../src/customer.resources';
import type { Customer } from '../src/customer.repository';
import { newCustomer, unique } from './fixtures';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';

type Service = Awaited<ReturnType<typeof createCustomerService>>;
type CustomerPage = Page<Customer>;

let svc: InProcessService<Service>;
let client: TestClient;

beforeAll(async () => {
  svc = await startInProcess('customer', createCustomerService);
  client = svc.client;
}, 60_000);

afterAll(() => svc?.stop());

describe('create_customer and get_customer', () => {
  it('creates a customer with defaults and reads it back by id', async () => {
    const email = `ada-${unique()}@example.com`;
    const created = await client.call<Customer>(CREATE_CUSTOMER, { name: 'Ada Lovelace', email, phone: '+44 20 7946 0000' });
    expect(created.isError).toBe(false);
    expect(created.data).toMatchObject({ name: 'Ada Lovelace', email, phone: '+44 20 7946 0000', tier: 'free', status: 'active' });
    expect(created.data.customer_id).toMatch(/^cus_[a-z0-9]+$/);
    expect(new Date(created.data.created_at).toISOString()).toBe(created.data.created_at);
    // The same JSON as text, for clients that do not read structuredContent.
    expect(JSON.parse(created.text)).toEqual(created.data);

    const fetched = await client.call<Customer>(GET_CUSTOMER, { customer_id: created.data.customer_id });
    expect(fetched.isError).toBe(false);
    expect(fetched.data).toEqual(created.data);
  });

  it('keeps the tier it is given', async () => {
    expect((await newCustomer(client, { tier: 'enterprise' })).tier).toBe('enterprise');
  });

  it('rejects an invalid email with VALIDATION_ERROR on the email field', async () => {
    const result = await client.call(CREATE_CUSTOMER, { name: 'Bad Email', email: 'not-an-email' });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path: 'email' });
    expect(result.error?.message).toMatch(/email/);
  });

  it('rejects a duplicate email that differs only in case with CONFLICT', async () => {
    const email = `grace-${unique()}@example.com`;
    await newCustomer(client, { email });
    const result = await client.call(CREATE_CUSTOMER, { name: 'Grace Again', email: email.toUpperCase() });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('CONFLICT');
    expect(result.error?.message).toMatch(/already exists/);
  });

  it('lets exactly one of several concurrent creates with the same email (any case) win; the rest get CONFLICT', async () => {
    const email = `race-${unique()}@example.com`;
    const variants = [email, email.toUpperCase(), email, `Race${email.slice(4)}`, email.toUpperCase()];
    const results = await Promise.all(variants.map((e, i) => client.call(CREATE_CUSTOMER, { name: `Racer ${i}`, email: e })));
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(results.filter((r) => r.isError).map((r) => r.error?.code)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
  });

  it('answers many concurrent calls correctly (one stateless server per request)', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, () => newCustomer(client)));
    const reads = await Promise.all([...customers, ...customers].map((c) => client.call<Customer>(GET_CUSTOMER, { customer_id: c.customer_id })));
    expect(reads.map((r) => r.data.customer_id)).toEqual([...customers, ...customers].map((c) => c.customer_id));
  });

  it('rejects missing, empty and wrongly typed fields with VALIDATION_ERROR and their path', async () => {
    const missing = await client.call(CREATE_CUSTOMER, { email: `x-${unique()}@example.com` });
    expect(missing.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'name' } });
    const empty = await client.call(CREATE_CUSTOMER, { name: '   ', email: `x-${unique()}@example.com` });
    expect(empty.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'name' } });
    const badTier = await client.call(CREATE_CUSTOMER, { name: 'X', email: `x-${unique()}@example.com`, tier: 'gold' });
    expect(badTier.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'tier' } });
  });

  it('rejects an unknown extra argument with VALIDATION_ERROR', async () => {
    const result = await client.call(CREATE_CUSTOMER, { name: 'Extra', email: `x-${unique()}@example.com`, favourite_colour: 'blue' });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.message).toMatch(/favourite_colour/);
  });

  it('answers NOT_FOUND for an unknown id, and VALIDATION_ERROR for a malformed one', async () => {
    const unknown = await client.call(GET_CUSTOMER, { customer_id: 'cus_doesnotexist0000' });
    expect(unknown.isError).toBe(true);
    expect(unknown.error?.code).toBe('NOT_FOUND');
    expect(unknown.error?.message).toMatch(/search_customers/);

    const malformed = await client.call(GET_CUSTOMER, { customer_id: 'ord_123' });
    expect(malformed.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'customer_id' } });
  });
});

describe('hostile text (regression: NUL used to reach PostgreSQL and answer INTERNAL)', () => {
  it.each([
    ['a NUL in the name', { name: 'Ada\u0000Lovelace' }, 'name'],
    ['an escape character in the name', { name: 'Ada\u001B[31m' }, 'name'],
    ['a lone surrogate in the name', { name: 'Ada \uD800' }, 'name'],
    ['a NUL in the phone', { phone: '+1 415\u0000' }, 'phone'],
  ])('create_customer refuses %s with VALIDATION_ERROR naming the field, and stores nothing', async (_what, override, path) => {
    const email = `nul-${unique()}@example.com`;
    const result = await client.call(CREATE_CUSTOMER, { name: 'Ada', email, ...override });
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
    const page = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: email });
    expect(page.items).toEqual([]);
  });

  it('search_customers refuses a NUL in the query with VALIDATION_ERROR on query', async () => {
    const result = await client.call(SEARCH_CUSTOMERS, { query: 'ada\u0000' });
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'query' } });
  });

  it('update_customer refuses a NUL in the name and leaves the customer unchanged', async () => {
    const customer = await newCustomer(client, { name: 'Unchanged' });
    const result = await client.call(UPDATE_CUSTOMER, { customer_id: customer.customer_id, name: 'Changed\u0000' });
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'name' } });
    expect(await client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).toEqual(customer);
  });

  it('keeps names from every Unicode plane, RTL overrides and SQL/JSON metacharacters byte for byte', async () => {
    const name = `Zoë 名前 😀 \u202Eevil\u202C O'Brien"; DROP TABLE customers; -- {"a":[1]} %_\\`;
    const created = await newCustomer(client, { name });
    expect(created.name).toBe(name);
    expect((await client.ok<Customer>(GET_CUSTOMER, { customer_id: created.customer_id })).name).toBe(name);
  });
});

describe('update_customer', () => {
  it('changes only the fields given, and the change is visible on the next read', async () => {
    const customer = await newCustomer(client, { tier: 'free' });
    await client.ok(GET_CUSTOMER, { customer_id: customer.customer_id }); // now cached
    const updated = await client.ok<Customer>(UPDATE_CUSTOMER, { customer_id: customer.customer_id, tier: 'pro', status: 'suspended' });
    expect(updated).toMatchObject({ customer_id: customer.customer_id, name: customer.name, email: customer.email, tier: 'pro', status: 'suspended' });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(customer.updated_at));
    expect(await client.ok<Customer>(GET_CUSTOMER, { customer_id: customer.customer_id })).toEqual(updated);
  });

  it('rejects an update with no fields to change', async () => {
    const customer = await newCustomer(client);
    const result = await client.call(UPDATE_CUSTOMER, { customer_id: customer.customer_id });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.message).toMatch(/at least one field/);
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    const result = await client.call(UPDATE_CUSTOMER, { customer_id: 'cus_doesnotexist0000', name: 'Nobody' });
    expect(result.error?.code).toBe('NOT_FOUND');
  });

  it('rejects taking another customer\'s email (any case) with CONFLICT', async () => {
    const a = await newCustomer(client);
    const b = await newCustomer(client);
    const result = await client.call(UPDATE_CUSTOMER, { customer_id: b.customer_id, email: a.email.toUpperCase() });
    expect(result.error?.code).toBe('CONFLICT');
    expect((await client.ok<Customer>(GET_CUSTOMER, { customer_id: b.customer_id })).email).toBe(b.email);
  });

  it('rejects an unknown status and an unknown extra argument', async () => {
    const customer = await newCustomer(client);
    expect((await client.call(UPDATE_CUSTOMER, { customer_id: customer.customer_id, status: 'deleted' })).error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'status' } });
    expect((await client.call(UPDATE_CUSTOMER, { customer_id: customer.customer_id, name: 'N', role: 'admin' })).error?.code).toBe('VALIDATION_ERROR');
  });
});

describe('search_customers', () => {
  const tag = `pg${unique()}`;
  let created: Customer[];

  beforeAll(async () => {
    created = [];
    for (let i = 0; i < 25; i++) created.push(await newCustomer(client, { name: `Pager ${tag} ${i}`, email: `pager-${i}-${tag}@example.com` }));
  });

  it('pages through every match: 25 customers at limit 10 are 3 pages, no duplicates, last next_cursor null', async () => {
    const pages = await client.pages<Customer>(SEARCH_CUSTOMERS, { query: tag, limit: 10 }, 10);
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => p.next_cursor === null)).toEqual([false, false, true]);
    const ids = pages.flatMap((p) => p.items.map((c) => c.customer_id));
    expect(new Set(ids).size).toBe(25);
    expect(new Set(ids)).toEqual(new Set(created.map((c) => c.customer_id)));
  });

  it('defaults to 20 per page', async () => {
    const page = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: tag });
    expect(page.items).toHaveLength(20);
    expect(page.next_cursor).not.toBeNull();
  });

  it('rejects a forged cursor with VALIDATION_ERROR', async () => {
    const forged = Buffer.from(JSON.stringify({ id: created[5].customer_id })).toString('base64url') + '.AAAAAAAAAAAAAAAA';
    const result = await client.call(SEARCH_CUSTOMERS, { query: tag, cursor: forged });
    expect(result.isError).toBe(true);
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'cursor' } });
  });

  it.each([0, 101, -1, 2.5])('rejects limit %p with VALIDATION_ERROR', async (limit) => {
    const result = await client.call(SEARCH_CUSTOMERS, { limit });
    expect(result.isError).toBe(true);
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'limit' } });
  });

  it('accepts limit 1 and 100', async () => {
    expect((await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: tag, limit: 1 })).items).toHaveLength(1);
    expect((await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: tag, limit: 100 })).items).toHaveLength(25);
  });

  it('matches query case-insensitively against name or email', async () => {
    const t = unique();
    const byName = await newCustomer(client, { name: `Zelda Q${t}Name`, email: `zelda-${t}@example.com` });
    const byEmail = await newCustomer(client, { name: 'Someone Else', email: `q${t}mail@example.com` });
    const nameHits = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `q${t}NAME`.toUpperCase() });
    expect(nameHits.items.map((c) => c.customer_id)).toEqual([byName.customer_id]);
    const emailHits = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `Q${t}MAIL@` });
    expect(emailHits.items.map((c) => c.customer_id)).toEqual([byEmail.customer_id]);
  });

  it('matches LIKE wildcards in the query literally', async () => {
    const t = unique();
    const percent = await newCustomer(client, { name: `Percent 100% ${t}` });
    await newCustomer(client, { name: `Percent 1000 ${t}` });
    const underscore = await newCustomer(client, { name: `Under a_b ${t}` });
    await newCustomer(client, { name: `Under axb ${t}` });
    expect((await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `100% ${t}` })).items.map((c) => c.customer_id)).toEqual([percent.customer_id]);
    expect((await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `a_b ${t}` })).items.map((c) => c.customer_id)).toEqual([underscore.customer_id]);
    expect((await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: '%' })).items.every((c) => c.name.includes('%') || c.email.includes('%'))).toBe(true);
  });

  it('filters by tier and status, alone and with a query', async () => {
    const t = unique();
    const pro = await newCustomer(client, { name: `Filter ${t} pro`, tier: 'pro' });
    const ent = await newCustomer(client, { name: `Filter ${t} ent`, tier: 'enterprise' });
    const suspended = await newCustomer(client, { name: `Filter ${t} susp`, tier: 'pro' });
    await client.ok(UPDATE_CUSTOMER, { customer_id: suspended.customer_id, status: 'suspended' });

    const proHits = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `Filter ${t}`, tier: 'pro' });
    expect(proHits.items.map((c) => c.customer_id).sort()).toEqual([pro.customer_id, suspended.customer_id].sort());
    const activePro = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `Filter ${t}`, tier: 'pro', status: 'active' });
    expect(activePro.items.map((c) => c.customer_id)).toEqual([pro.customer_id]);
    const entHits = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `filter ${t}`, tier: 'enterprise' });
    expect(entHits.items.map((c) => c.customer_id)).toEqual([ent.customer_id]);

    const allSuspended = await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { status: 'suspended', limit: 100 });
    expect(allSuspended.items.length).toBeGreaterThan(0);
    expect(allSuspended.items.every((c) => c.status === 'suspended')).toBe(true);
    expect(allSuspended.items.map((c) => c.customer_id)).toContain(suspended.customer_id);
  });

  it('returns an empty last page when nothing matches', async () => {
    expect(await client.ok<CustomerPage>(SEARCH_CUSTOMERS, { query: `nobody-${unique()}` })).toEqual({ items: [], next_cursor: null });
  });
});

describe('tools/list', () => {
  it('lists the four customer tools, each with title, description, schemas and annotations', async () => {
    const tools = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...CUSTOMER_TOOLS, LIST_AUDIT_EVENTS].sort());
    for (const tool of tools) {
      expect(tool.title).toEqual(expect.any(String));
      expect(tool.description!.length).toBeGreaterThan(40);
      expect(tool.inputSchema).toMatchObject({ type: 'object', properties: expect.any(Object) });
      expect(tool.outputSchema).toMatchObject({ type: 'object' });
      expect(tool.annotations).toMatchObject({ readOnlyHint: expect.any(Boolean), idempotentHint: expect.any(Boolean), openWorldHint: false });
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName[GET_CUSTOMER].annotations).toMatchObject({ readOnlyHint: true });
    expect(byName[SEARCH_CUSTOMERS].annotations).toMatchObject({ readOnlyHint: true });
    expect(byName[CREATE_CUSTOMER].annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(byName[UPDATE_CUSTOMER].annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(byName[CREATE_CUSTOMER].inputSchema).toMatchObject({ required: expect.arrayContaining(['name', 'email']) });
    expect(JSON.stringify(byName[GET_CUSTOMER].outputSchema)).toContain('customer_id');
  });
});

describe('resources and prompt', () => {
  const raw = () => client.raw as Client;

  it('reads customer://{customer_id} as JSON', async () => {
    const customer = await newCustomer(client);
    const result = await raw().readResource({ uri: `customer://${customer.customer_id}` });
    expect(result.contents).toHaveLength(1);
    const content = result.contents[0] as { uri: string; mimeType?: string; text: string };
    expect(content).toMatchObject({ uri: `customer://${customer.customer_id}`, mimeType: 'application/json' });
    expect(JSON.parse(content.text)).toEqual(customer);
  });

  it('answers an unknown customer:// resource with an error, not an empty body', async () => {
    await expect(raw().readResource({ uri: 'customer://cus_doesnotexist0000' })).rejects.toThrow();
  });

  it('lists the customer resource template and schema://customers', async () => {
    const templates = await raw().listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('customer://{customer_id}');
    const resources = await raw().listResources();
    expect(resources.resources.map((r) => r.uri)).toContain('schema://customers');
  });

  it('reads schema://customers as the JSON Schema of a customer', async () => {
    const result = await raw().readResource({ uri: 'schema://customers' });
    const schema = JSON.parse((result.contents[0] as { text: string }).text);
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['customer_id', 'name', 'email', 'phone', 'tier', 'status', 'created_at', 'updated_at']));
    expect(schema.properties.tier.enum).toEqual(['free', 'pro', 'enterprise']);
  });

  it(`${ANALYZE_CUSTOMER_CHURN} builds a prompt loaded with the customer's data`, async () => {
    const customer = await newCustomer(client, { name: `Churny ${unique()}`, tier: 'pro' });
    const prompts = await raw().listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toContain(ANALYZE_CUSTOMER_CHURN);
    const prompt = await raw().getPrompt({ name: ANALYZE_CUSTOMER_CHURN, arguments: { customer_id: customer.customer_id } });
    expect(prompt.messages).toHaveLength(1);
    expect(prompt.messages[0].role).toBe('user');
    const text = (prompt.messages[0].content as { type: string; text: string }).text;
    expect(text).toContain(customer.customer_id);
    expect(text).toContain(customer.name);
    expect(text).toContain(customer.email);
    expect(text).toMatch(/churn/i);
  });

  it(`${ANALYZE_CUSTOMER_CHURN} fails for an unknown customer`, async () => {
    await expect(raw().getPrompt({ name: ANALYZE_CUSTOMER_CHURN, arguments: { customer_id: 'cus_doesnotexist0000' } })).rejects.toThrow(/cus_doesnotexist0000|not found/i);
  });
});
