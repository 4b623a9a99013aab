import { defineResource, z } from '@fedmcp/service-kit';
import { OrderRepository } from './order.repository';
import type { OrderContext } from './order.tools';
import { orderId, orderWithTimeline } from './order.types';
import { toOrder, toTimeline } from './order.view';

/** Resources: `order://{order_id}` (an order with its timeline) and `schema://orders`. */
export function registerOrderResources(ctx: OrderContext, repo: OrderRepository): void {
  ctx.resource(
    defineResource({
      name: 'order',
      title: 'Order',
      description: 'One order with its saga timeline, as JSON: order://ord_…',
      mimeType: 'application/json',
      uri: 'order://{order_id}',
      list: async () => (await repo.list({ limit: 50 })).items.map((r) => ({ uri: `order://${r.row.id}`, name: `${r.row.id} (${r.row.status})` })),
      variables: z.object({ order_id: orderId }),
      read: async (_uri, { order_id }) => {
        const record = await repo.find(order_id);
        return record ? { ...toOrder(record), timeline: toTimeline(await repo.steps(order_id)) } : undefined;
      },
    }),
  );
  ctx.resource(
    defineResource({
      name: 'orders-schema',
      title: 'Order schema',
      description: 'JSON Schema of an order (with timeline) as the order tools return it.',
      mimeType: 'application/schema+json',
      uri: 'schema://orders',
      read: async () => z.toJSONSchema(orderWithTimeline),
    }),
  );
}
