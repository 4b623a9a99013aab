import { z, idOf, pageInput, pageOf, isoTime, text, freeText } from '@fedmcp/service-kit';
import { ORDER_STATUSES, STEP_STATUSES } from './order.schema';

export const orderId = idOf('ord', 'order');
export const customerId = idOf('cus', 'customer');
export const productId = idOf('prd', 'product');
export const orderStatus = z.enum(ORDER_STATUSES).describe('pending, confirmed, failed or cancelled');

export const createOrderInput = z.strictObject({
  customer_id: customerId,
  items: z
    .array(z.strictObject({ product_id: productId, quantity: z.number().int().min(1).max(1000).describe('Units to order, 1-1000') }))
    .min(1, 'an order needs at least one item')
    .max(50)
    .refine((items) => new Set(items.map((i) => i.product_id)).size === items.length, 'each product_id may appear only once; add up the quantities instead')
    .describe('Products and quantities'),
  payment_method: text({ max: 100, trim: false }).describe('Payment method token, e.g. pm_card_ok (test cards: pm_card_ok, pm_card_declined, pm_card_insufficient_funds, pm_card_provider_down)'),
  idempotency_key: text({ max: 200, trim: false }).optional().describe('Send the same key when retrying the same order: it is then placed at most once'),
});

export const getOrderInput = z.strictObject({ order_id: orderId });
export const listOrdersInput = z.strictObject({ customer_id: customerId.optional(), status: orderStatus.optional(), ...pageInput });
export const cancelOrderInput = z.strictObject({ order_id: orderId, reason: freeText({ max: 500, trim: false }).optional().describe('Why the order is cancelled') });

const line = z.object({
  product_id: z.string(),
  quantity: z.number().int(),
  unit_price_cents: z.number().int().nullable(),
  line_total_cents: z.number().int().nullable(),
});

export const orderOutput = z.object({
  order_id: z.string(),
  status: orderStatus,
  customer_id: z.string(),
  lines: z.array(line),
  total_cents: z.number().int().nullable().describe('Total in minor units; null until stock was reserved'),
  currency: z.string().nullable(),
  payment_id: z.string().nullable(),
  reservation_id: z.string().nullable(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why a failed order failed'),
  cancel_reason: z.string().nullable(),
  placed_by: z
    .object({ sub: z.string(), client_id: z.string() })
    .nullable()
    .describe('Who placed the order: the subject and OAuth client of the caller (anonymous and the client address in open mode)'),
  created_at: isoTime,
  updated_at: isoTime,
});

export const timelineEntry = z.object({
  step: z.string().describe('verify_customer, reserve_inventory, authorize_payment, commit_reservation, capture_payment, release_reservation, void_payment, refund_payment'),
  status: z.enum(STEP_STATUSES),
  at: isoTime,
  detail: z.record(z.string(), z.unknown()).nullable(),
});

export const orderWithTimeline = orderOutput.extend({ timeline: z.array(timelineEntry) });
export const orderPage = pageOf(orderOutput);

export type OrderOutput = z.infer<typeof orderOutput>;
