import { z, idOf, amountCents, currency, pageInput, pageOf, isoTime, text } from '@fedmcp/service-kit';
import { PAYMENT_EVENT_TYPES, PAYMENT_STATUSES } from './payment.state';
import { TEST_PAYMENT_METHOD_NAMES } from './card-provider';

export const paymentId = idOf('pay', 'payment');
export const orderId = idOf('ord', 'order');
export const customerId = idOf('cus', 'customer');
const positiveCents = amountCents.min(1, 'must be a positive integer number of cents');
const paymentStatus = z.enum(PAYMENT_STATUSES).describe('authorized, declined, captured, voided, partially_refunded or refunded');

export const paymentOutput = z.object({
  payment_id: z.string(),
  order_id: z.string(),
  customer_id: z.string(),
  status: paymentStatus,
  amount_cents: z.number().int().describe('Authorized amount in minor units'),
  currency: z.string(),
  captured_cents: z.number().int().describe('Captured so far (the full amount once captured)'),
  refunded_cents: z.number().int().describe('Refunded so far (never more than captured_cents)'),
  payment_method: z.string(),
  decline_reason: z.string().nullable().describe('Why the provider declined (card_declined, insufficient_funds); null unless declined'),
  created_at: isoTime,
  updated_at: isoTime,
});

export const paymentEventOutput = z.object({
  type: z.enum(PAYMENT_EVENT_TYPES),
  amount_cents: z.number().int(),
  from_status: paymentStatus.nullable().describe('Null for the event that created the payment'),
  to_status: paymentStatus,
  at: isoTime,
});

export const paymentWithEventsOutput = paymentOutput.extend({
  events: z.array(paymentEventOutput).describe('The ledger: every transition of this payment, oldest first'),
});

export const authorizePaymentInput = z.strictObject({
  order_id: orderId,
  customer_id: customerId,
  amount_cents: positiveCents.describe('Amount to authorize, in minor units (e.g. 1999 for $19.99)'),
  currency: currency.default('USD'),
  payment_method: text({ max: 100, trim: false, emptyMessage: 'payment_method is required' }).describe(`Payment method token. Test cards: ${TEST_PAYMENT_METHOD_NAMES.join(', ')}`),
  idempotency_key: text({ max: 200, trim: false, emptyMessage: 'idempotency_key must not be empty' }).describe('Your key for this authorization (e.g. the order id); retries with the same key and request return the same payment'),
});

export const paymentIdInput = z.strictObject({ payment_id: paymentId });

export const refundPaymentInput = z.strictObject({
  payment_id: paymentId,
  amount_cents: positiveCents.optional().describe('Amount to refund in minor units; omit to refund everything captured and not yet refunded'),
});

export const listPaymentsInput = z.strictObject({
  order_id: orderId.optional(),
  customer_id: customerId.optional(),
  ...pageInput,
});

export const paymentPage = pageOf(paymentOutput);

export type Payment = z.infer<typeof paymentOutput>;
export type PaymentEvent = z.infer<typeof paymentEventOutput>;
export type PaymentWithEvents = z.infer<typeof paymentWithEventsOutput>;
export type AuthorizePaymentInput = z.output<typeof authorizePaymentInput>;
