import { defineTool, z } from '@fedmcp/service-kit';
import type { OrderContext } from '../order.tools';
import type { OrderRepository } from '../order.repository';
import type { Upstreams } from '../order.upstreams';
import { toOrder } from '../order.view';
import { OrderView, PaymentView, ProductView, ReservationView } from './invariants';
import { ReconcileSource, reconcile } from './snapshot';

export const RECONCILE_ORDERS = 'reconcile_orders';

/** Default grace: a little more than an order's lease plus one recovery pass. */
export const DEFAULT_GRACE_SECONDS = 60;

const reconcileInput = z.strictObject({
  pending_grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .optional()
    .describe(`Orders younger than this (pending since placed, or failed since their last change) may still be finishing and are not judged; default ${DEFAULT_GRACE_SECONDS}`),
});

const violation = z.object({
  kind: z.string().describe('order_pending_too_long, money_not_conserved, authorization_open, reservation_not_committed, reservation_held_by_no_live_order, stock_not_returned, orphan_payment, stock_reserved_mismatch, stock_not_conserved'),
  message: z.string(),
  order_id: z.string().optional(),
  reservation_id: z.string().optional(),
  payment_id: z.string().optional(),
  product_id: z.string().optional(),
});

const reconcileOutput = z.object({
  ok: z.boolean().describe('true when no invariant is violated'),
  checked_at: z.string(),
  checked: z.object({ orders: z.number().int(), reservations: z.number().int(), payments: z.number().int(), products: z.number().int() }),
  violation_count: z.number().int(),
  violations: z.array(violation).describe('Every violation found, with the ids involved'),
});

/** Orders from this service's own database; reservations, products and payments through the upstreams' read tools. */
export function orderServiceSource(repo: OrderRepository, upstream: Upstreams): ReconcileSource {
  return {
    orders: async (cursor) => {
      const page = await repo.list({ limit: 100, cursor });
      return { items: page.items.map((r) => toOrder(r) as OrderView), next_cursor: page.next_cursor };
    },
    order: async (id) => {
      const record = await repo.find(id);
      return record ? (toOrder(record) as OrderView) : undefined;
    },
    reservations: async (cursor) => (await upstream.listReservations(cursor)) as { items: ReservationView[]; next_cursor: string | null },
    products: async (cursor) => (await upstream.listProducts(cursor)) as { items: ProductView[]; next_cursor: string | null },
    payments: async (cursor) => (await upstream.listPayments(cursor)) as { items: PaymentView[]; next_cursor: string | null },
  };
}

/** `reconcile_orders`: the cross-service consistency audit, read-only. */
export function registerReconcileTool(ctx: OrderContext, source: ReconcileSource): void {
  ctx.tool(
    defineTool({
      name: RECONCILE_ORDERS,
      scope: 'audit:read',
      title: 'Reconcile orders',
      description:
        'Audit the whole platform for consistency: walks every order, stock reservation, payment and product (through the product and payment services\' read tools) and reports each broken invariant with the ids involved: ' +
        'an order pending too long, money not conserved (captured minus refunded differs from what the order says was paid), an authorization left open on a failed or cancelled order, a confirmed order whose reservation is not committed, ' +
        'stock held or committed for an order that failed, was cancelled or does not exist, a payment of an unknown order, reserved stock that does not match the held reservations. Read-only; ok: true means nothing was found. ' +
        'On a large platform this can exceed the tool time budget (TIMEOUT); operators then run `npm run reconcile`, which has no budget.',
      input: reconcileInput,
      output: reconcileOutput,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: ({ pending_grace_seconds }) => reconcile(source, { graceMs: (pending_grace_seconds ?? DEFAULT_GRACE_SECONDS) * 1000 }),
    }),
  );
}
