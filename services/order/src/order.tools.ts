import { defineTool, notFound, ServiceContext } from '@fedmcp/service-kit';
import type { schema } from './order.schema';
import { OrderRepository } from './order.repository';
import { OrderWorkflow } from './order.workflow';
import type { ContractGuard } from './order.skew';
import { toOrder, toTimeline } from './order.view';
import { cancelOrderInput, createOrderInput, getOrderInput, listOrdersInput, orderOutput, orderPage, orderWithTimeline } from './order.types';

export const CREATE_ORDER = 'create_order';
export const GET_ORDER = 'get_order';
export const LIST_ORDERS = 'list_orders';
export const CANCEL_ORDER = 'cancel_order';
export const ORDER_TOOLS = [CREATE_ORDER, GET_ORDER, LIST_ORDERS, CANCEL_ORDER] as const;

export type OrderContext = ServiceContext<typeof schema, unknown>;

export function registerOrderTools(ctx: OrderContext, repo: OrderRepository, workflow: OrderWorkflow, contracts: Pick<ContractGuard, 'assertCompatible'>): void {
  ctx.tool(
    defineTool({
      name: CREATE_ORDER,
      scope: 'order:write',
      title: 'Place order',
      description:
        'Place an order for an active customer: verifies the customer, reserves the stock, authorizes and captures the payment, and returns the order. ' +
        'A business failure is a normal result with status "failed" and failure.code (CUSTOMER_INACTIVE, INSUFFICIENT_STOCK, PAYMENT_DECLINED, NOT_FOUND for an unknown customer or product, DEPENDENCY_UNAVAILABLE); anything it did is undone. ' +
        'Pass an idempotency_key to retry safely: the same key with the same request returns the same order and never charges twice; the same key with a different request fails with CONFLICT. ' +
        'If processing takes unusually long the order comes back still "pending"; call get_order later.',
      input: createOrderInput,
      output: orderOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      handler: async (input, { transaction, principal }) => {
        contracts.assertCompatible(); // no stock reserved for an order an incompatible upstream cannot finish
        return toOrder(await workflow.create(input, principal, transaction));
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: GET_ORDER,
      scope: 'order:read',
      title: 'Get order',
      description:
        'Fetch one order by order_id (ord_…) with its lines, total, payment, failure (if it failed) and timeline: one entry per saga step or compensation (verify_customer, reserve_inventory, authorize_payment, commit_reservation, capture_payment, release_reservation, void_payment, refund_payment) with status started|succeeded|failed and time.',
      input: getOrderInput,
      output: orderWithTimeline,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async ({ order_id }) => {
        const record = await repo.find(order_id);
        if (!record) throw notFound('order', order_id, 'Use list_orders to find valid ids.');
        return { ...toOrder(record), timeline: toTimeline(await repo.steps(order_id)) };
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: LIST_ORDERS,
      scope: 'order:read',
      title: 'List orders',
      description:
        'List orders, oldest first, optionally for one customer_id and/or one status (pending, confirmed, failed, cancelled). Paginated: limit 1-100 (default 20); pass next_cursor from the previous page to continue; null means the last page.',
      input: listOrdersInput,
      output: orderPage,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async (input, { touch }) => {
        const page = await repo.list(input);
        touch(...page.items.map((r) => r.row.id));
        return { items: page.items.map(toOrder), next_cursor: page.next_cursor };
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: CANCEL_ORDER,
      scope: 'order:write',
      title: 'Cancel order',
      description:
        'Cancel a confirmed order: the captured payment is refunded in full and the stock is returned; the order ends "cancelled". Cancelling a cancelled order changes nothing and returns it. A failed order has nothing to cancel (CONFLICT); a pending one must finish first (CONFLICT). If a service is down the order stays confirmed and cancelling again later is safe.',
      input: cancelOrderInput,
      output: orderOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      handler: async ({ order_id, reason }, { transaction, principal }) => toOrder(await workflow.cancel(order_id, reason, principal, transaction)),
    }),
  );
}
