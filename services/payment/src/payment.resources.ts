import { defineResource, z } from '@fedmcp/service-kit';
import { PaymentRepository } from './payment.repository';
import type { PaymentContext } from './payment.tools';
import { paymentId, paymentWithEventsOutput } from './payment.types';

/** Resources: `payment://{payment_id}` (with its ledger) and `schema://payments`. */
export function registerPaymentResources(ctx: PaymentContext, repo: PaymentRepository): void {
  ctx.resource(
    defineResource({
      name: 'payment',
      title: 'Payment',
      description: 'One payment with its ledger of events as JSON, by id: payment://pay_…',
      mimeType: 'application/json',
      uri: 'payment://{payment_id}',
      list: async () => (await repo.list({ limit: 50 })).items.map((p) => ({ uri: `payment://${p.payment_id}`, name: `${p.payment_id} (${p.status}, ${p.amount_cents} ${p.currency})` })),
      variables: z.object({ payment_id: paymentId }),
      read: async (_uri, { payment_id }) => (await repo.find(payment_id)) ?? undefined,
    }),
  );

  ctx.resource(
    defineResource({
      name: 'payments-schema',
      title: 'Payment schema',
      description: 'JSON Schema of a payment record as get_payment returns it (with its events).',
      mimeType: 'application/schema+json',
      uri: 'schema://payments',
      read: async () => z.toJSONSchema(paymentWithEventsOutput),
    }),
  );
}
