import { startInProcess, InProcessService } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';
import { AUTHORIZE_PAYMENT, GET_PAYMENT, LIST_PAYMENTS } from '../src/payment.tools';
import type { Payment } from '../src/payment.types';
import { ControllableProvider, authorize, authorizeArgs, ledger } from './helpers';

let svc: InProcessService<Awaited<ReturnType<typeof createPaymentService>>>;
const provider = new ControllableProvider();

beforeAll(async () => {
  svc = await startInProcess('payment', (env) => createPaymentService(env, provider));
});
afterAll(() => svc.stop());
afterEach(() => {
  provider.down = false;
});

describe('authorize_payment', () => {
  it('authorizes with pm_card_ok and records an authorize event', async () => {
    const args = authorizeArgs({ amount_cents: 1999 });
    const result = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, args);
    expect(result.isError).toBe(false);
    expect(result.data).toMatchObject({
      order_id: args.order_id,
      customer_id: args.customer_id,
      status: 'authorized',
      amount_cents: 1999,
      currency: 'USD',
      captured_cents: 0,
      refunded_cents: 0,
      payment_method: 'pm_card_ok',
      decline_reason: null,
    });
    expect(result.data.payment_id).toMatch(/^pay_[a-z0-9]+$/);
    expect(await ledger(svc.client, result.data.payment_id)).toEqual([{ type: 'authorize', amount_cents: 1999, from_status: null, to_status: 'authorized' }]);
  });

  it.each([
    ['pm_card_declined', 'card_declined'],
    ['pm_card_insufficient_funds', 'insufficient_funds'],
  ])('returns a declined payment (not a tool error) for %s with reason %s', async (method, reason) => {
    const result = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, authorizeArgs({ payment_method: method, currency: 'EUR' }));
    expect(result.isError).toBe(false);
    expect(result.data).toMatchObject({ status: 'declined', decline_reason: reason, currency: 'EUR', captured_cents: 0 });
    expect(await ledger(svc.client, result.data.payment_id)).toEqual([{ type: 'decline', amount_cents: 10_000, from_status: null, to_status: 'declined' }]);
  });

  it('fails with DEPENDENCY_UNAVAILABLE for pm_card_provider_down and records nothing', async () => {
    const args = authorizeArgs({ payment_method: 'pm_card_provider_down' });
    const result = await svc.client.call(AUTHORIZE_PAYMENT, args);
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
    const listed = await svc.client.call<{ items: Payment[] }>(LIST_PAYMENTS, { order_id: args.order_id });
    expect(listed.data.items).toEqual([]);
    // The key was not used up: the same key with a working card succeeds.
    const retried = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, { ...args, payment_method: 'pm_card_ok' });
    expect(retried.data.status).toBe('authorized');
  });

  it('succeeds when the same request is retried with the same key after a provider outage', async () => {
    const args = authorizeArgs();
    provider.down = true;
    const failed = await svc.client.call(AUTHORIZE_PAYMENT, args);
    expect(failed.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(failed.error?.message).toMatch(/retry/i);
    provider.down = false;
    const retried = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, args);
    expect(retried.isError).toBe(false);
    expect(retried.data.status).toBe('authorized');
    expect(await ledger(svc.client, retried.data.payment_id)).toHaveLength(1);
  });

  it('rejects an unknown payment method with VALIDATION_ERROR listing the test methods', async () => {
    const result = await svc.client.call(AUTHORIZE_PAYMENT, authorizeArgs({ payment_method: 'pm_card_visa' }));
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path: 'payment_method' });
    for (const method of ['pm_card_ok', 'pm_card_declined', 'pm_card_insufficient_funds', 'pm_card_provider_down']) expect(result.error?.message).toContain(method);
  });
});

describe('authorize_payment idempotency', () => {
  it('returns the same payment for the same key and request, authorizing once', async () => {
    const args = authorizeArgs();
    const first = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, args);
    const second = await svc.client.call<Payment>(AUTHORIZE_PAYMENT, { ...args, currency: 'USD' });
    expect(second.data).toEqual(first.data);
    expect(provider.authorizationsFor(args.idempotency_key as string)).toBe(1);
    expect(await ledger(svc.client, first.data.payment_id)).toHaveLength(1);
  });

  it('returns one payment for 10 concurrent identical requests', async () => {
    const args = authorizeArgs();
    const results = await Promise.all(Array.from({ length: 10 }, () => svc.client.call<Payment>(AUTHORIZE_PAYMENT, args)));
    expect(results.every((r) => !r.isError)).toBe(true);
    const ids = new Set(results.map((r) => r.data.payment_id));
    expect(ids.size).toBe(1);
    expect(provider.authorizationsFor(args.idempotency_key as string)).toBe(1);
    const listed = await svc.client.call<{ items: Payment[] }>(LIST_PAYMENTS, { order_id: args.order_id });
    expect(listed.data.items).toHaveLength(1);
    expect(await ledger(svc.client, [...ids][0])).toEqual([{ type: 'authorize', amount_cents: 10_000, from_status: null, to_status: 'authorized' }]);
  });

  it('replays a declined payment for the same key instead of asking the provider again', async () => {
    const args = authorizeArgs({ payment_method: 'pm_card_declined' });
    const first = await authorize(svc.client, args);
    const again = await authorize(svc.client, args);
    expect(again.payment_id).toBe(first.payment_id);
    expect(again.status).toBe('declined');
    expect(provider.authorizationsFor(args.idempotency_key as string)).toBe(1);
  });

  it.each([
    ['amount_cents', 10_001],
    ['currency', 'EUR'],
    ['payment_method', 'pm_card_declined'],
    ['order_id', 'ord_other'],
    ['customer_id', 'cus_other'],
  ])('rejects the same key with a different %s as CONFLICT', async (field, value) => {
    const args = authorizeArgs();
    const original = await authorize(svc.client, args);
    const result = await svc.client.call(AUTHORIZE_PAYMENT, { ...args, [field]: value });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('CONFLICT');
    expect(result.error?.message).toContain(original.payment_id);
    expect(result.error?.details).toMatchObject({ path: 'idempotency_key', payment_id: original.payment_id });
  });
});

describe('input validation', () => {
  it.each([
    ['a fractional amount', { amount_cents: 10.5 }, 'amount_cents'],
    ['a negative amount', { amount_cents: -100 }, 'amount_cents'],
    ['a zero amount', { amount_cents: 0 }, 'amount_cents'],
    ['an amount given as a string', { amount_cents: '100' }, 'amount_cents'],
    ['an unknown currency', { currency: 'ABC' }, 'currency'],
    ['a lower-case currency', { currency: 'usd' }, 'currency'],
    ['an order id without the ord_ prefix', { order_id: 'order_123' }, 'order_id'],
    ['a customer id with upper-case letters', { customer_id: 'cus_ABC' }, 'customer_id'],
    ['an empty idempotency key', { idempotency_key: '' }, 'idempotency_key'],
    ['an idempotency key over 200 characters', { idempotency_key: 'k'.repeat(201) }, 'idempotency_key'],
    ['a missing payment method', { payment_method: undefined }, 'payment_method'],
  ])('rejects %s with VALIDATION_ERROR on its field', async (_what, overrides, path) => {
    const result = await svc.client.call(AUTHORIZE_PAYMENT, authorizeArgs(overrides));
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path });
  });

  it('rejects unknown argument names', async () => {
    const result = await svc.client.call(AUTHORIZE_PAYMENT, authorizeArgs({ amount: 100 }));
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.message).toContain('amount');
  });

  it('rejects a malformed payment id and reports an unknown one as NOT_FOUND', async () => {
    const malformed = await svc.client.call(GET_PAYMENT, { payment_id: 'ord_123' });
    expect(malformed.error?.code).toBe('VALIDATION_ERROR');
    expect(malformed.error?.details).toMatchObject({ path: 'payment_id' });
    const unknown = await svc.client.call(GET_PAYMENT, { payment_id: 'pay_doesnotexist' });
    expect(unknown.error?.code).toBe('NOT_FOUND');
    expect(unknown.error?.message).toContain('list_payments');
  });
});
