import { defineTool, notFound, ServiceContext } from '@fedmcp/service-kit';
import { PaymentRepository } from './payment.repository';
import { PaymentOperations } from './payment.operations';
import { authorizePaymentInput, listPaymentsInput, paymentIdInput, paymentOutput, paymentPage, paymentWithEventsOutput, refundPaymentInput } from './payment.types';
import { TEST_PAYMENT_METHOD_NAMES } from './card-provider';
import type { schema } from './payment.schema';

export const AUTHORIZE_PAYMENT = 'authorize_payment';
export const CAPTURE_PAYMENT = 'capture_payment';
export const VOID_PAYMENT = 'void_payment';
export const REFUND_PAYMENT = 'refund_payment';
export const GET_PAYMENT = 'get_payment';
export const LIST_PAYMENTS = 'list_payments';
export const PAYMENT_TOOLS = [AUTHORIZE_PAYMENT, CAPTURE_PAYMENT, VOID_PAYMENT, REFUND_PAYMENT, GET_PAYMENT, LIST_PAYMENTS] as const;

export type PaymentContext = ServiceContext<typeof schema, unknown>;

const NOT_FOUND_HINT = 'Use list_payments (by order_id or customer_id) to find payment ids.';

export function registerPaymentTools(ctx: PaymentContext, repo: PaymentRepository, ops: PaymentOperations): void {
  ctx.tool(
    defineTool({
      name: AUTHORIZE_PAYMENT,
      scope: 'payment:write',
      title: 'Authorize payment',
      description:
        'Reserve money on a card for an order (no money moves until capture_payment). Returns the payment with status "authorized", or "declined" with decline_reason (card_declined, insufficient_funds): a decline is a normal result, not an error; ask for another payment method and use a new idempotency_key. ' +
        `Test payment methods: ${TEST_PAYMENT_METHOD_NAMES.join(', ')}; any other method fails with VALIDATION_ERROR. ` +
        'Safe to retry: the same idempotency_key with the same request returns the same payment without charging again; the same key with different order_id, customer_id, amount_cents, currency or payment_method fails with CONFLICT. ' +
        'If the card provider is unreachable the call fails with DEPENDENCY_UNAVAILABLE, nothing is recorded, and retrying with the same key later is safe.',
      input: authorizePaymentInput,
      output: paymentOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      handler: async (input, { signal, transaction, touch }) => {
        const payment = await ops.authorize(input, transaction, { signal });
        touch(payment.payment_id); // also when an earlier call's payment is returned
        return payment;
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: CAPTURE_PAYMENT,
      scope: 'payment:write',
      title: 'Capture payment',
      description:
        'Collect the full authorized amount of an "authorized" payment (status becomes "captured", captured_cents = amount_cents). Capturing a payment that is already captured returns it unchanged. Any other status (declined, voided, refunded…) fails with CONFLICT naming the current status; unknown ids fail with NOT_FOUND.',
      input: paymentIdInput,
      output: paymentOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      handler: ({ payment_id }, { signal, transaction }) => ops.capture(payment_id, transaction, { signal }),
    }),
  );

  ctx.tool(
    defineTool({
      name: VOID_PAYMENT,
      scope: 'payment:write',
      title: 'Void payment',
      description:
        'Release an "authorized" payment that will not be captured (status becomes "voided", final). Voiding a voided payment returns it unchanged. A captured payment cannot be voided (CONFLICT): use refund_payment instead. Unknown ids fail with NOT_FOUND.',
      input: paymentIdInput,
      output: paymentOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      handler: ({ payment_id }, { signal, transaction }) => ops.void(payment_id, transaction, { signal }),
    }),
  );

  ctx.tool(
    defineTool({
      name: REFUND_PAYMENT,
      scope: 'payment:refund',
      title: 'Refund payment',
      description:
        'Give back money of a captured payment: amount_cents (positive integer) refunds part of it, omitted refunds everything not yet refunded. Status becomes "partially_refunded" or, once everything captured is returned, "refunded". ' +
        'An amount above what is left (captured_cents - refunded_cents) fails with VALIDATION_ERROR and changes nothing. Refunding a fully refunded payment without amount_cents returns it unchanged; a payment that is not captured (authorized, declined, voided) fails with CONFLICT. ' +
        'Repeating a call with amount_cents refunds again, so only repeat it if the first one failed.',
      input: refundPaymentInput,
      output: paymentOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      handler: ({ payment_id, amount_cents }, { signal, transaction }) => ops.refund(payment_id, amount_cents, transaction, { signal }),
    }),
  );

  ctx.tool(
    defineTool({
      name: GET_PAYMENT,
      scope: 'payment:read',
      title: 'Get payment',
      description:
        'Fetch one payment by payment_id (pay_…): order and customer, status, amount_cents, captured_cents, refunded_cents, currency, payment_method, decline_reason, and events: the ledger of every transition (authorize, decline, capture, void, refund) with amount and from/to status, oldest first. Unknown ids fail with NOT_FOUND.',
      input: paymentIdInput,
      output: paymentWithEventsOutput,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async ({ payment_id }) => {
        const payment = await repo.find(payment_id);
        if (!payment) throw notFound('payment', payment_id, NOT_FOUND_HINT);
        return payment;
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: LIST_PAYMENTS,
      scope: 'payment:read',
      title: 'List payments',
      description:
        'List payments, oldest first, optionally only those of one order_id and/or customer_id (without their events; use get_payment for the ledger). Paginated: pass limit (1-100, default 20) and, for the next page, the next_cursor of the previous result; next_cursor is null on the last page.',
      input: listPaymentsInput,
      output: paymentPage,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async (input, { touch }) => {
        const page = await repo.list(input);
        touch(...page.items.map((p) => p.payment_id));
        return page;
      },
    }),
  );
}
