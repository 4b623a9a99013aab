import { startInProcess, InProcessService } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';
import { CAPTURE_PAYMENT, REFUND_PAYMENT, VOID_PAYMENT } from '../src/payment.tools';
import type { Payment } from '../src/payment.types';
import { authorize, captured, getPayment, ledger } from './helpers';

let svc: InProcessService<Awaited<ReturnType<typeof createPaymentService>>>;

beforeAll(async () => {
  svc = await startInProcess('payment', createPaymentService);
});
afterAll(() => svc.stop());

const call = (tool: string, args: Record<string, unknown>) => svc.client.call<Payment>(tool, args);

describe('capture and void', () => {
  it('captures the full authorized amount and appends a capture event', async () => {
    const payment = await authorize(svc.client, { amount_cents: 4200 });
    const result = await call(CAPTURE_PAYMENT, { payment_id: payment.payment_id });
    expect(result.isError).toBe(false);
    expect(result.data).toMatchObject({ status: 'captured', captured_cents: 4200, refunded_cents: 0 });
    expect(await ledger(svc.client, payment.payment_id)).toEqual([
      { type: 'authorize', amount_cents: 4200, from_status: null, to_status: 'authorized' },
      { type: 'capture', amount_cents: 4200, from_status: 'authorized', to_status: 'captured' },
    ]);
  });

  it('voids an authorized payment and appends a void event', async () => {
    const payment = await authorize(svc.client, { amount_cents: 900 });
    const result = await call(VOID_PAYMENT, { payment_id: payment.payment_id });
    expect(result.data).toMatchObject({ status: 'voided', captured_cents: 0, refunded_cents: 0 });
    expect((await ledger(svc.client, payment.payment_id)).at(-1)).toEqual({ type: 'void', amount_cents: 900, from_status: 'authorized', to_status: 'voided' });
  });

  it('returns the payment unchanged when capture or void is repeated', async () => {
    const capturedPayment = await captured(svc.client);
    const again = await call(CAPTURE_PAYMENT, { payment_id: capturedPayment.payment_id });
    expect(again.data).toEqual(capturedPayment);
    expect(await ledger(svc.client, capturedPayment.payment_id)).toHaveLength(2);

    const authorized = await authorize(svc.client);
    const voided = await call(VOID_PAYMENT, { payment_id: authorized.payment_id });
    const voidedAgain = await call(VOID_PAYMENT, { payment_id: authorized.payment_id });
    expect(voidedAgain.data).toEqual(voided.data);
    expect(await ledger(svc.client, authorized.payment_id)).toHaveLength(2);
  });

  it('captures once when the same capture arrives 5 times at once', async () => {
    const payment = await authorize(svc.client);
    const results = await Promise.all(Array.from({ length: 5 }, () => call(CAPTURE_PAYMENT, { payment_id: payment.payment_id })));
    expect(results.every((r) => !r.isError && r.data.status === 'captured')).toBe(true);
    expect((await ledger(svc.client, payment.payment_id)).filter((e) => e.type === 'capture')).toHaveLength(1);
  });

  it('reports an unknown payment as NOT_FOUND', async () => {
    const result = await call(CAPTURE_PAYMENT, { payment_id: 'pay_unknown' });
    expect(result.error?.code).toBe('NOT_FOUND');
  });
});

describe('refunds', () => {
  it('refunds partially, then the rest, recording every refund in the ledger', async () => {
    const payment = await captured(svc.client, 100);
    const first = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 30 });
    expect(first.data).toMatchObject({ status: 'partially_refunded', captured_cents: 100, refunded_cents: 30 });
    const second = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 50 });
    expect(second.data).toMatchObject({ status: 'partially_refunded', refunded_cents: 80 });
    const rest = await call(REFUND_PAYMENT, { payment_id: payment.payment_id });
    expect(rest.data).toMatchObject({ status: 'refunded', refunded_cents: 100 });
    expect(await ledger(svc.client, payment.payment_id)).toEqual([
      { type: 'authorize', amount_cents: 100, from_status: null, to_status: 'authorized' },
      { type: 'capture', amount_cents: 100, from_status: 'authorized', to_status: 'captured' },
      { type: 'refund', amount_cents: 30, from_status: 'captured', to_status: 'partially_refunded' },
      { type: 'refund', amount_cents: 50, from_status: 'partially_refunded', to_status: 'partially_refunded' },
      { type: 'refund', amount_cents: 20, from_status: 'partially_refunded', to_status: 'refunded' },
    ]);
  });

  it('refunds everything captured when no amount is given, and repeating that changes nothing', async () => {
    const payment = await captured(svc.client, 2500);
    const refunded = await call(REFUND_PAYMENT, { payment_id: payment.payment_id });
    expect(refunded.data).toMatchObject({ status: 'refunded', captured_cents: 2500, refunded_cents: 2500 });
    const again = await call(REFUND_PAYMENT, { payment_id: payment.payment_id });
    expect(again.data).toEqual(refunded.data);
    expect((await ledger(svc.client, payment.payment_id)).filter((e) => e.type === 'refund')).toEqual([{ type: 'refund', amount_cents: 2500, from_status: 'captured', to_status: 'refunded' }]);
  });

  it('refunds exactly the amount that is left and ends refunded', async () => {
    const payment = await captured(svc.client, 100);
    await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 60 });
    const rest = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 40 });
    expect(rest.data).toMatchObject({ status: 'refunded', refunded_cents: 100 });
  });

  it('rejects a refund above what is left with VALIDATION_ERROR and changes nothing', async () => {
    const payment = await captured(svc.client, 100);
    await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 70 });
    const before = await getPayment(svc.client, payment.payment_id);
    const result = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 31 });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path: 'amount_cents', refundable_cents: 30 });
    expect(result.error?.message).toContain('30 cents left');
    expect(await getPayment(svc.client, payment.payment_id)).toEqual(before);
  });

  it.each([
    ['zero', 0],
    ['negative', -10],
    ['fractional', 12.5],
  ])('rejects a %s refund amount with VALIDATION_ERROR on amount_cents', async (_what, amount) => {
    const payment = await captured(svc.client, 100);
    const result = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: amount });
    expect(result.error?.code).toBe('VALIDATION_ERROR');
    expect(result.error?.details).toMatchObject({ path: 'amount_cents' });
  });

  it('lets exactly 2 of 5 concurrent refunds of 40 through on a 100 capture', async () => {
    const payment = await captured(svc.client, 100);
    const results = await Promise.all(Array.from({ length: 5 }, () => call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 40 })));
    expect(results.filter((r) => !r.isError)).toHaveLength(2);
    expect(results.filter((r) => r.isError).map((r) => r.error?.code)).toEqual(['VALIDATION_ERROR', 'VALIDATION_ERROR', 'VALIDATION_ERROR']);
    const after = await getPayment(svc.client, payment.payment_id);
    expect(after).toMatchObject({ status: 'partially_refunded', captured_cents: 100, refunded_cents: 80 });
    expect(after.events.filter((e) => e.type === 'refund').map((e) => e.amount_cents)).toEqual([40, 40]);
  });

  it('never refunds more than captured when full and partial refunds race', async () => {
    const payment = await captured(svc.client, 100);
    const results = await Promise.all([
      call(REFUND_PAYMENT, { payment_id: payment.payment_id }),
      call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 30 }),
      call(REFUND_PAYMENT, { payment_id: payment.payment_id }),
      call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 30 }),
    ]);
    const after = await getPayment(svc.client, payment.payment_id);
    expect(after).toMatchObject({ status: 'refunded', refunded_cents: 100 });
    const refundTotal = after.events.filter((e) => e.type === 'refund').reduce((sum, e) => sum + e.amount_cents, 0);
    expect(refundTotal).toBe(100);
    expect(results.every((r) => !r.isError || ['VALIDATION_ERROR', 'CONFLICT'].includes(r.error!.code))).toBe(true);
  });
});

describe('illegal transitions', () => {
  const expectConflict = async (tool: string, paymentId: string, status: string, allowed: RegExp) => {
    const before = await getPayment(svc.client, paymentId);
    const result = await call(tool, { payment_id: paymentId });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('CONFLICT');
    expect(result.error?.message).toContain(`is ${status}`);
    expect(result.error?.message).toMatch(allowed);
    expect(result.error?.details).toEqual({ status });
    expect(await getPayment(svc.client, paymentId)).toEqual(before);
  };

  it('refuses to void a captured payment and points to refund_payment', async () => {
    const payment = await captured(svc.client);
    await expectConflict(VOID_PAYMENT, payment.payment_id, 'captured', /refund_payment/);
  });

  it('refuses to capture a voided payment, which is final', async () => {
    const payment = await authorize(svc.client);
    await call(VOID_PAYMENT, { payment_id: payment.payment_id });
    await expectConflict(CAPTURE_PAYMENT, payment.payment_id, 'voided', /voided is final/);
  });

  it('refuses to capture or void a declined payment', async () => {
    const payment = await authorize(svc.client, { payment_method: 'pm_card_declined' });
    await expectConflict(CAPTURE_PAYMENT, payment.payment_id, 'declined', /declined is final/);
    await expectConflict(VOID_PAYMENT, payment.payment_id, 'declined', /declined is final/);
  });

  it('refuses to refund an authorized payment that was never captured', async () => {
    const payment = await authorize(svc.client);
    await expectConflict(REFUND_PAYMENT, payment.payment_id, 'authorized', /capture_payment or void_payment/);
  });

  it('refuses an explicit refund amount on a fully refunded payment', async () => {
    const payment = await captured(svc.client, 100);
    await call(REFUND_PAYMENT, { payment_id: payment.payment_id });
    const result = await call(REFUND_PAYMENT, { payment_id: payment.payment_id, amount_cents: 10 });
    expect(result.error?.code).toBe('CONFLICT');
    expect(result.error?.message).toContain('refunded is final');
  });

  it('refuses to capture a refunded payment', async () => {
    const payment = await captured(svc.client, 100);
    await call(REFUND_PAYMENT, { payment_id: payment.payment_id });
    await expectConflict(CAPTURE_PAYMENT, payment.payment_id, 'refunded', /refunded is final/);
  });
});
