import { startInProcess, InProcessService, Page } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';
import { AUTHORIZE_PAYMENT, CAPTURE_PAYMENT, GET_PAYMENT, LIST_PAYMENTS, PAYMENT_TOOLS, REFUND_PAYMENT, VOID_PAYMENT } from '../src/payment.tools';
import type { Payment } from '../src/payment.types';
import { authorize, authorizeArgs, getPayment, unique } from './helpers';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';

let svc: InProcessService<Awaited<ReturnType<typeof createPaymentService>>>;

beforeAll(async () => {
  svc = await startInProcess('payment', createPaymentService);
});
afterAll(() => svc.stop());

type PaymentPage = Page<Payment>;

async function allPages(args: Record<string, unknown>): Promise<Payment[][]> {
  return (await svc.client.pages<Payment>(LIST_PAYMENTS, args)).map((page) => page.items);
}

describe('list_payments', () => {
  const customer = `cus_${unique()}`;
  const otherCustomer = `cus_${unique()}`;
  const orderA = `ord_${unique()}`;
  const orderB = `ord_${unique()}`;
  const created: Payment[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) created.push(await authorize(svc.client, { customer_id: customer, order_id: i < 3 ? orderA : orderB, amount_cents: 100 + i }));
    await authorize(svc.client, { customer_id: otherCustomer, order_id: orderA });
  });

  it('pages through one customer\'s payments, oldest first, without repeats', async () => {
    const pages = await allPages({ customer_id: customer, limit: 2 });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((p) => p.payment_id)).toEqual(created.map((p) => p.payment_id));
    expect(pages.flat()[0]).not.toHaveProperty('events');
  });

  it('filters by order_id, and by order_id and customer_id together', async () => {
    const byOrder = await svc.client.call<PaymentPage>(LIST_PAYMENTS, { order_id: orderA });
    expect(byOrder.data.items).toHaveLength(4);
    expect(byOrder.data.next_cursor).toBeNull();
    const both = await svc.client.call<PaymentPage>(LIST_PAYMENTS, { order_id: orderA, customer_id: customer });
    expect(both.data.items.map((p) => p.payment_id)).toEqual(created.slice(0, 3).map((p) => p.payment_id));
  });

  it('returns an empty page for a customer without payments', async () => {
    const result = await svc.client.call<PaymentPage>(LIST_PAYMENTS, { customer_id: `cus_${unique()}` });
    expect(result.data).toEqual({ items: [], next_cursor: null });
  });

  it.each([
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit above 100', { limit: 101 }, 'limit'],
    ['a cursor it did not issue', { cursor: 'bogus.cursor' }, 'cursor'],
    ['a malformed customer id', { customer_id: 'customer-1' }, 'customer_id'],
  ])('rejects %s with VALIDATION_ERROR', async (_what, args, path) => {
    const result = await svc.client.call(LIST_PAYMENTS, args);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path });
  });
});

describe('tool catalogue', () => {
  it('describes every tool with a title, an output schema and honest annotations', async () => {
    const tools = await svc.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...PAYMENT_TOOLS, LIST_AUDIT_EVENTS].sort());
    for (const tool of tools) {
      expect(tool.title).toBeTruthy();
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.outputSchema).toBeDefined();
      expect(tool.annotations).toMatchObject({ openWorldHint: false });
    }
    const annotations = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(annotations[GET_PAYMENT]).toMatchObject({ readOnlyHint: true });
    expect(annotations[LIST_PAYMENTS]).toMatchObject({ readOnlyHint: true });
    expect(annotations[AUTHORIZE_PAYMENT]).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(annotations[CAPTURE_PAYMENT]).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    expect(annotations[VOID_PAYMENT]).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(annotations[REFUND_PAYMENT]).toMatchObject({ destructiveHint: true, idempotentHint: false });
  });
});

describe('resources', () => {
  type ResourceReader = { readResource(params: { uri: string }): Promise<{ contents: { uri: string; text?: string }[] }> };
  const read = async (uri: string) => JSON.parse((await (svc.client.raw as unknown as ResourceReader).readResource({ uri })).contents[0].text!);

  it('serves a payment with its ledger at payment://{payment_id}', async () => {
    const payment = await authorize(svc.client, { amount_cents: 321 });
    const body = await read(`payment://${payment.payment_id}`);
    expect(body).toMatchObject({ payment_id: payment.payment_id, status: 'authorized', amount_cents: 321 });
    expect(body.events.map((e: { type: string }) => e.type)).toEqual(['authorize']);
  });

  it('serves the JSON Schema of a payment at schema://payments', async () => {
    const schema = await read('schema://payments');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['payment_id', 'status', 'captured_cents', 'refunded_cents', 'events']));
  });
});

describe('older clients', () => {
  it('serves a v1 SDK client: authorize, capture and read the ledger', async () => {
    const v1 = await svc.connect('v1');
    expect((await v1.listTools()).map((t) => t.name)).toContain(AUTHORIZE_PAYMENT);
    const authorized = await v1.call<Payment>(AUTHORIZE_PAYMENT, authorizeArgs({ amount_cents: 777 }));
    expect(authorized.isError).toBe(false);
    const capturedPayment = await v1.call<Payment>(CAPTURE_PAYMENT, { payment_id: authorized.data.payment_id });
    expect(capturedPayment.data).toMatchObject({ status: 'captured', captured_cents: 777 });
    const declined = await v1.call<Payment>(AUTHORIZE_PAYMENT, authorizeArgs({ payment_method: 'pm_card_insufficient_funds' }));
    expect(declined.data).toMatchObject({ status: 'declined', decline_reason: 'insufficient_funds' });
    expect((await getPayment(svc.client, authorized.data.payment_id)).events.map((e) => e.type)).toEqual(['authorize', 'capture']);
  });

  it('serves a 2025-era v2 client the same structured errors', async () => {
    const legacy = await svc.connect('legacy-v2');
    const result = await legacy.call(REFUND_PAYMENT, { payment_id: 'pay_nothing' });
    expect(result.error?.code).toBe('NOT_FOUND');
  });
});
