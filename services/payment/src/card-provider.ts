import { randomBytes } from 'node:crypto';

/** What we ask the provider to authorize. */
export interface AuthorizationRequest {
  amount_cents: number;
  currency: string;
  payment_method: string;
  /** Our idempotency key: a real provider dedupes retries of one authorization by it. */
  idempotency_key: string;
}

export type AuthorizationResult = { approved: true; reference: string } | { approved: false; reason: string };

/** Options every provider call takes. */
export interface ProviderCallOptions {
  /** Aborted when the tool's time budget runs out. */
  signal?: AbortSignal;
}

/**
 * A card processor. A decline is a normal result; failures to reach the
 * provider throw ProviderUnavailableError, a payment method the provider does
 * not know throws UnknownPaymentMethodError. A real provider (Stripe, Adyen…)
 * replaces the simulated one behind this interface.
 */
export interface CardProvider {
  authorize(request: AuthorizationRequest, options?: ProviderCallOptions): Promise<AuthorizationResult>;
  capture(reference: string, amountCents: number, options?: ProviderCallOptions): Promise<void>;
  void(reference: string, options?: ProviderCallOptions): Promise<void>;
  refund(reference: string, amountCents: number, options?: ProviderCallOptions): Promise<void>;
}

/** The provider could not be reached or did not answer; nothing happened there. */
export class ProviderUnavailableError extends Error {
  constructor(message = 'card provider is unreachable') {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** The provider does not know this payment method. */
export class UnknownPaymentMethodError extends Error {
  constructor(
    readonly paymentMethod: string,
    readonly known: readonly string[],
  ) {
    super(`unknown payment method ${paymentMethod}`);
    this.name = 'UnknownPaymentMethodError';
  }
}

/** How each test payment method behaves in the simulated provider. */
export const TEST_PAYMENT_METHODS = {
  pm_card_ok: { outcome: 'approve' },
  pm_card_declined: { outcome: 'decline', reason: 'card_declined' },
  pm_card_insufficient_funds: { outcome: 'decline', reason: 'insufficient_funds' },
  pm_card_provider_down: { outcome: 'unreachable' },
} as const satisfies Record<string, { outcome: 'approve' | 'decline' | 'unreachable'; reason?: string }>;

export type TestPaymentMethod = keyof typeof TEST_PAYMENT_METHODS;
export const TEST_PAYMENT_METHOD_NAMES = Object.keys(TEST_PAYMENT_METHODS) as TestPaymentMethod[];

function isTestMethod(method: string): method is TestPaymentMethod {
  return Object.prototype.hasOwnProperty.call(TEST_PAYMENT_METHODS, method);
}

/**
 * The simulated provider inside the payment service: behaviour is chosen by
 * the payment method token. Authorizations it approved can always be
 * captured, voided and refunded.
 */
export class SimulatedCardProvider implements CardProvider {
  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    if (!isTestMethod(request.payment_method)) throw new UnknownPaymentMethodError(request.payment_method, TEST_PAYMENT_METHOD_NAMES);
    const behaviour: { outcome: string; reason?: string } = TEST_PAYMENT_METHODS[request.payment_method];
    if (behaviour.outcome === 'unreachable') throw new ProviderUnavailableError('card provider did not answer (simulated outage for pm_card_provider_down)');
    if (behaviour.outcome === 'decline') return { approved: false, reason: behaviour.reason! };
    return { approved: true, reference: `sim_auth_${randomBytes(8).toString('hex')}` };
  }

  async capture(): Promise<void> {}

  async void(): Promise<void> {}

  async refund(): Promise<void> {}
}
