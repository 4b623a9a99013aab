import { defineTool, notFound, ServiceContext } from '@fedmcp/service-kit';
import { CustomerRepository, Customer } from './customer.repository';
import { createCustomerInput, customerOutput, customerPage, getCustomerInput, searchCustomersInput, updateCustomerInput } from './customer.types';
import type { schema } from './customer.schema';

export const CREATE_CUSTOMER = 'create_customer';
export const GET_CUSTOMER = 'get_customer';
export const SEARCH_CUSTOMERS = 'search_customers';
export const UPDATE_CUSTOMER = 'update_customer';
export const CUSTOMER_TOOLS = [CREATE_CUSTOMER, GET_CUSTOMER, SEARCH_CUSTOMERS, UPDATE_CUSTOMER] as const;

/** Cache name for single customers (`customer:customer:<id>`). */
export const CUSTOMER_CACHE = 'customer';

export type CustomerContext = ServiceContext<typeof schema, unknown>;

/** Reads one customer through the cache. */
export async function loadCustomer(ctx: CustomerContext, repo: CustomerRepository, id: string): Promise<Customer> {
  const customer = await ctx.cache.getOrLoad(CUSTOMER_CACHE, id, () => repo.find(id));
  if (!customer) throw notFound('customer', id, 'Use search_customers to find valid ids.');
  return customer;
}

export function registerCustomerTools(ctx: CustomerContext, repo: CustomerRepository): void {
  ctx.tool(
    defineTool({
      name: CREATE_CUSTOMER,
      scope: 'customer:write',
      title: 'Create customer',
      description:
        'Create a new customer account. Use when someone signs up or you need a customer to place orders for. Email must be unique (case-insensitive); a duplicate fails with CONFLICT. Tier defaults to "free", status starts "active". Returns the customer with its customer_id (cus_…).',
      input: createCustomerInput,
      output: customerOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      handler: (input, { transaction }) => repo.create(input, transaction),
    }),
  );

  ctx.tool(
    defineTool({
      name: GET_CUSTOMER,
      scope: 'customer:read',
      title: 'Get customer',
      description:
        'Fetch one customer by customer_id (cus_…): name, email, phone, tier, status (active|inactive|suspended) and timestamps. Use search_customers first if you only know a name or email. Unknown ids fail with NOT_FOUND.',
      input: getCustomerInput,
      output: customerOutput,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: ({ customer_id }) => loadCustomer(ctx, repo, customer_id),
    }),
  );

  ctx.tool(
    defineTool({
      name: SEARCH_CUSTOMERS,
      scope: 'customer:read',
      title: 'Search customers',
      description:
        'List customers, optionally filtered by a case-insensitive substring of name or email (query), tier and status. Paginated: pass limit (1-100, default 20) and, for the next page, the next_cursor of the previous result; next_cursor is null on the last page.',
      input: searchCustomersInput,
      output: customerPage,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async (input, { touch }) => {
        const page = await repo.search(input);
        touch(...page.items.map((c) => c.customer_id));
        return page;
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: UPDATE_CUSTOMER,
      scope: 'customer:write',
      title: 'Update customer',
      description:
        'Change a customer\'s name, email, phone, tier or status (active|inactive|suspended); only the fields you pass change. Inactive or suspended customers cannot place orders. A new email already used by another customer fails with CONFLICT. Returns the updated customer.',
      input: updateCustomerInput,
      output: customerOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      handler: async ({ customer_id, ...changes }, { transaction }) => {
        const updated = await repo.update(customer_id, changes, transaction);
        await ctx.cache.invalidate(CUSTOMER_CACHE, customer_id);
        return updated;
      },
    }),
  );
}
