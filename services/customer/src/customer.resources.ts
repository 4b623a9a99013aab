import { defineResource, definePrompt, z } from '@fedmcp/service-kit';
import { CustomerRepository } from './customer.repository';
import { CustomerContext, loadCustomer } from './customer.tools';
import { customerId, customerOutput } from './customer.types';

export const ANALYZE_CUSTOMER_CHURN = 'analyze_customer_churn';

/** Resources (`customer://{customer_id}`, `schema://customers`) and the churn prompt. */
export function registerCustomerResources(ctx: CustomerContext, repo: CustomerRepository): void {
  ctx.resource(
    defineResource({
      name: 'customer',
      title: 'Customer',
      description: 'One customer as JSON, by id: customer://cus_…',
      mimeType: 'application/json',
      uri: 'customer://{customer_id}',
      list: async () => (await repo.search({ limit: 50 })).items.map((c) => ({ uri: `customer://${c.customer_id}`, name: c.name })),
      variables: z.object({ customer_id: customerId }),
      read: async (_uri, { customer_id }) => (await repo.find(customer_id)) ?? undefined,
    }),
  );

  ctx.resource(
    defineResource({
      name: 'customers-schema',
      title: 'Customer schema',
      description: 'JSON Schema of a customer record as the customer tools return it.',
      mimeType: 'application/schema+json',
      uri: 'schema://customers',
      read: async () => z.toJSONSchema(customerOutput),
    }),
  );

  ctx.prompt(
    definePrompt({
      name: ANALYZE_CUSTOMER_CHURN,
      title: 'Analyze customer churn risk',
      description: 'A prompt loaded with one customer\'s data, asking for a churn-risk assessment and retention actions.',
      args: z.object({ customer_id: customerId }),
      build: async ({ customer_id }) => {
        const customer = await loadCustomer(ctx, repo, customer_id);
        return [
          {
            role: 'user',
            text: [
              'Assess the churn risk of this customer of our commerce platform.',
              'Consider tier, account status and account age. Give a risk level (low/medium/high),',
              'the signals behind it, and two or three concrete retention actions.',
              'Use list_orders and list_payments from the order and payment servers if they are connected.',
              '',
              'Customer:',
              JSON.stringify(customer, null, 2),
            ].join('\n'),
          },
        ];
      },
    }),
  );
}
