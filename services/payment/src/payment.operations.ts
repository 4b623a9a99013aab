import { createHash } from 'node:crypto';
import { ToolError, Transact, validationError } from '@fedmcp/service-kit';
import { CardProvider, ProviderCallOptions, ProviderUnavailableError, UnknownPaymentMethodError } from './card-provider';
import { AuthorizationOutcome, PaymentRepository } from './payment.repository';
import type { AuthorizePaymentInput, Payment } from './payment.types';

/** Fingerprint of what an idempotency key stands for (currency after its default). */
export function requestHash(input: Omit<AuthorizePaymentInput, 'idempotency_key'>): string {
  const canonical = JSON.stringify([input.order_id, input.customer_id, input.amount_cents, input.currency, input.payment_method]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Turns provider failures into the errors the model sees; everything else passes through. */
async function callProvider<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProviderUnavailableError) {
      throw new ToolError('DEPENDENCY_UNAVAILABLE', `The card provider could not be reached to ${what}; nothing was recorded or charged. Retry the same call later (with the same idempotency_key where there is one).`, { dependency: 'card_provider' });
    }
    if (error instanceof UnknownPaymentMethodError) {
      throw validationError(`payment_method "${error.paymentMethod}" is not a payment method the provider knows. Use one of the test payment methods: ${error.known.join(', ')}.`, { path: 'payment_method', allowed: error.known });
    }
    throw error;
  }
}

/**
 * The payment use cases: the card provider does the money movement, the
 * repository records it (one transaction per step, with the ledger row),
 * opened by `transact` (the calling tool's audited transaction).
 */
export class PaymentOperations {
  constructor(
    private readonly repo: PaymentRepository,
    private readonly provider: CardProvider,
  ) {}

  authorize(input: AuthorizePaymentInput, transact: Transact, options: ProviderCallOptions = {}): Promise<Payment> {
    const request = { ...input, request_hash: requestHash(input) };
    return this.repo.authorizeOnce(
      request,
      () =>
        callProvider<AuthorizationOutcome>('authorize the payment', () =>
          this.provider.authorize({ amount_cents: input.amount_cents, currency: input.currency, payment_method: input.payment_method, idempotency_key: input.idempotency_key }, options),
        ),
      transact,
    );
  }

  capture(paymentId: string, transact: Transact, options: ProviderCallOptions = {}): Promise<Payment> {
    return this.repo.transition(paymentId, 'capture', undefined, (row, d) => callProvider('capture the payment', () => this.provider.capture(row.providerReference!, d.event_amount_cents, options)), transact);
  }

  void(paymentId: string, transact: Transact, options: ProviderCallOptions = {}): Promise<Payment> {
    return this.repo.transition(paymentId, 'void', undefined, (row) => callProvider('void the payment', () => this.provider.void(row.providerReference!, options)), transact);
  }

  refund(paymentId: string, amountCents: number | undefined, transact: Transact, options: ProviderCallOptions = {}): Promise<Payment> {
    return this.repo.transition(paymentId, 'refund', amountCents, (row, d) => callProvider('refund the payment', () => this.provider.refund(row.providerReference!, d.event_amount_cents, options)), transact);
  }
}
