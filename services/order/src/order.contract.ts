/**
 * The order service's consumer contracts: for each upstream server, the tools
 * it calls, the arguments it sends (with the values it may send) and the
 * result fields it reads. `npm run contracts -w @fedmcp/order` writes them to
 * `contracts/<provider>.json`, where each provider's own test suite checks
 * them against what it advertises on tools/list; at run time the order service
 * checks the same contracts against its live upstreams (version skew).
 */
import { z, idOf, currency, positiveAmountCents, text } from '@fedmcp/service-kit';
import type { ConsumerContract, JsonSchema, ToolUse } from '@fedmcp/contracts';
import { createOrderInput, customerId, orderId } from './order.types';

const reservationId = idOf('res', 'reservation');
const paymentId = idOf('pay', 'payment');
const cursor = text({ max: 512, trim: false });
const pageArgs = { limit: z.literal(100), cursor: cursor.optional() };

/** Statuses the saga and the reconciler know how to handle. */
const CUSTOMER_STATUSES = ['active', 'inactive', 'suspended'] as const;
const RESERVATION_STATUSES = ['held', 'released', 'committed'] as const;
const PAYMENT_STATUSES = ['authorized', 'declined', 'captured', 'voided', 'partially_refunded', 'refunded'] as const;

const reservationLine = z.object({ product_id: z.string(), quantity: z.number().int(), unit_price_cents: z.number().int(), currency: z.string() });
const reservation = z.object({ reservation_id: z.string(), status: z.enum(RESERVATION_STATUSES), lines: z.array(reservationLine), total_cents: z.number().int() });
const reservationState = z.object({ reservation_id: z.string(), status: z.enum(RESERVATION_STATUSES) });
const payment = z.object({ payment_id: z.string(), status: z.enum(PAYMENT_STATUSES), amount_cents: z.number().int(), currency: z.string() });
const paymentState = z.object({ payment_id: z.string(), status: z.enum(PAYMENT_STATUSES) });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/** The zod view of each use: the TypeScript types of the upstream calls derive from these. */
export const UPSTREAM_USES = {
  customer: {
    get_customer: { sends: z.object({ customer_id: customerId }), reads: z.object({ customer_id: z.string(), status: z.enum(CUSTOMER_STATUSES) }) },
  },
  product: {
    reserve_inventory: { sends: z.object({ order_id: orderId, items: createOrderInput.shape.items }), reads: reservation },
    release_reservation: { sends: z.object({ reservation_id: reservationId }), reads: reservationState },
    commit_reservation: { sends: z.object({ reservation_id: reservationId }), reads: reservationState },
    list_reservations: { sends: z.object(pageArgs), reads: page(reservationState.extend({ order_id: z.string(), lines: z.array(z.object({ product_id: z.string(), quantity: z.number().int() })) })) },
    search_products: { sends: z.object(pageArgs), reads: page(z.object({ product_id: z.string(), stock_on_hand: z.number().int(), stock_reserved: z.number().int() })) },
  },
  payment: {
    authorize_payment: {
      sends: z.object({ order_id: orderId, customer_id: customerId, amount_cents: positiveAmountCents, currency, payment_method: createOrderInput.shape.payment_method, idempotency_key: text({ max: 200, trim: false }) }),
      reads: payment,
    },
    capture_payment: { sends: z.object({ payment_id: paymentId }), reads: paymentState },
    void_payment: { sends: z.object({ payment_id: paymentId }), reads: paymentState },
    refund_payment: { sends: z.object({ payment_id: paymentId }), reads: paymentState },
    list_payments: { sends: z.object(pageArgs), reads: page(payment.extend({ order_id: z.string(), captured_cents: z.number().int(), refunded_cents: z.number().int() })) },
  },
} as const;

export type UpstreamName = keyof typeof UPSTREAM_USES;

const json = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** The contract with one provider, as data (JSON Schema subset). */
export function orderContract(provider: UpstreamName): ConsumerContract {
  const uses = UPSTREAM_USES[provider] as Record<string, { sends: z.ZodType; reads: z.ZodType }>;
  const tools: Record<string, ToolUse> = {};
  for (const [tool, use] of Object.entries(uses)) tools[tool] = { sends: json(use.sends, 'output'), reads: json(use.reads, 'input') };
  return { consumer: 'order', provider, tools };
}

export const UPSTREAM_NAMES = Object.keys(UPSTREAM_USES) as UpstreamName[];
