import { unique } from '@fedmcp/testing';
import type { TestClient } from '@fedmcp/testing';
import { AuthorizationRequest, CardProvider, ProviderUnavailableError, SimulatedCardProvider } from '../src/card-provider';
import { AUTHORIZE_PAYMENT, CAPTURE_PAYMENT, GET_PAYMENT } from '../src/payment.tools';
import type { Payment, PaymentWithEvents } from '../src/payment.types';

export { unique };

/** Arguments for authorize_payment with fresh ids and key; override any field. */
export function authorizeArgs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const u = unique();
  return { order_id: `ord_${u}`, customer_id: `cus_${u}`, amount_cents: 10_000, payment_method: 'pm_card_ok', idempotency_key: `key-${u}`, ...overrides };
}

export async function authorize(client: TestClient, overrides: Record<string, unknown> = {}): Promise<Payment> {
  return client.ok<Payment>(AUTHORIZE_PAYMENT, authorizeArgs(overrides));
}

export async function captured(client: TestClient, amountCents = 10_000): Promise<Payment> {
  const payment = await authorize(client, { amount_cents: amountCents });
  return client.ok<Payment>(CAPTURE_PAYMENT, { payment_id: payment.payment_id });
}

export async function getPayment(client: TestClient, paymentId: string): Promise<PaymentWithEvents> {
  return client.ok<PaymentWithEvents>(GET_PAYMENT, { payment_id: paymentId });
}

/** The ledger without timestamps, for exact comparisons. */
export async function ledger(client: TestClient, paymentId: string) {
  return (await getPayment(client, paymentId)).events.map(({ at: _at, ...event }) => event);
}

/** The simulated provider with a switchable outage and a count of authorizations it was asked for. */
export class ControllableProvider implements CardProvider {
  private readonly inner = new SimulatedCardProvider();
  down = false;
  readonly authorizations: AuthorizationRequest[] = [];

  async authorize(request: AuthorizationRequest) {
    this.authorizations.push(request);
    if (this.down) throw new ProviderUnavailableError();
    return this.inner.authorize(request);
  }

  authorizationsFor(key: string): number {
    return this.authorizations.filter((a) => a.idempotency_key === key).length;
  }

  capture = () => this.inner.capture();
  void = () => this.inner.void();
  refund = () => this.inner.refund();
}
