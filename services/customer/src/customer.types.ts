import { z, idOf, pageInput, pageOf, isoTime, text, searchQuery, emailAddress, phoneNumber } from '@fedmcp/service-kit';
import { CUSTOMER_STATUSES, CUSTOMER_TIERS } from './customer.schema';

export const customerId = idOf('cus', 'customer');
export const tier = z.enum(CUSTOMER_TIERS).describe('Plan tier: free, pro or enterprise');
export const status = z.enum(CUSTOMER_STATUSES).describe('Account status: active, inactive or suspended');
const name = text({ max: 200 }).describe('Full name');
const email = emailAddress.describe('Email address (unique, case-insensitive)');
const phone = phoneNumber.describe('Phone number, e.g. "+1 415 555 0100"');

export const customerOutput = z.object({
  customer_id: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  tier,
  status,
  created_at: isoTime,
  updated_at: isoTime,
});

export const createCustomerInput = z.strictObject({ name, email, phone: phone.optional(), tier: tier.optional() });
export const getCustomerInput = z.strictObject({ customer_id: customerId });
export const searchCustomersInput = z.strictObject({
  query: searchQuery.optional().describe('Case-insensitive substring of name or email'),
  tier: tier.optional(),
  status: status.optional(),
  ...pageInput,
});
export const updateCustomerInput = z
  .strictObject({ customer_id: customerId, name: name.optional(), email: email.optional(), phone: phone.optional(), tier: tier.optional(), status: status.optional() })
  .refine((v) => Object.keys(v).length > 1, { message: 'give at least one field to change (name, email, phone, tier or status)', path: ['customer_id'] });
export const customerPage = pageOf(customerOutput);
