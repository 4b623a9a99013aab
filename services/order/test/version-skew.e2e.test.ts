/**
 * Version skew: the order service against a product build whose
 * reserve_inventory changed (simulated by a proxy that advertises the real
 * product's tools with a changed schema and forwards calls to it). A breaking
 * change makes the order service degraded with the reason and pauses orders
 * before anything is reserved; a compatible change does not.
 */
import { InProcessService, Platform, SchemaProxy, startInProcess, startPlatform, startSchemaProxy } from '@fedmcp/testing';
import { createOrderService } from '../src/order.service';
import { newCustomer, newProduct, productState } from './fixtures';

jest.setTimeout(180_000);

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform.stop());

/** A second order service, in this process, whose product upstream is `productUrl`. */
async function orderServiceAgainst(productUrl: string): Promise<InProcessService<Awaited<ReturnType<typeof createOrderService>>>> {
  const { customer, payment } = platform.processes;
  return startInProcess('order', createOrderService, { CUSTOMER_MCP_URL: customer.mcpUrl, PAYMENT_MCP_URL: payment.mcpUrl, PRODUCT_MCP_URL: productUrl, CONTRACT_CHECK_INTERVAL_MS: '500' });
}

async function readiness(url: string): Promise<{ status: string; checks: Record<string, string>; reasons?: Record<string, string> }> {
  for (let i = 0; i < 40; i++) {
    const body = (await (await fetch(`${url}/ready`)).json()) as { status: string; checks: Record<string, string>; reasons?: Record<string, string> };
    if (body.checks.product !== 'ok' || body.status === 'ready') return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('readiness never settled');
}

describe('a product build whose reserve_inventory lost order_id', () => {
  let proxy: SchemaProxy;
  let order: Awaited<ReturnType<typeof orderServiceAgainst>>;
  beforeAll(async () => {
    proxy = await startSchemaProxy(platform.processes.product.mcpUrl, (tools) =>
      tools.map((t) => {
        if (t.name !== 'reserve_inventory') return t;
        const { order_id: _, ...properties } = t.inputSchema.properties as Record<string, unknown>;
        return { ...t, inputSchema: { ...t.inputSchema, properties, required: ['items'] } };
      }),
    );
    order = await orderServiceAgainst(proxy.mcpUrl);
  });
  afterAll(async () => {
    await order.stop();
    await proxy.close();
  });

  it('makes the order service degraded, naming server, tool and argument', async () => {
    const ready = await readiness(order.url);
    expect(ready.status).toBe('degraded');
    expect(ready.checks.product).toBe('degraded');
    expect(ready.reasons?.product).toBe('product: reserve_inventory lacks argument order_id');
    const metrics = await (await fetch(`${order.url}/metrics`)).text();
    expect(metrics).toMatch(/mcp_upstream_contract_violations\{[^}]*server="product"[^}]*\} 1/);
  });

  it('refuses new orders with DEPENDENCY_UNAVAILABLE and reserves nothing', async () => {
    const customerId = await newCustomer(platform);
    const productId = await newProduct(platform, 5);
    const result = await order.client.call('create_order', { customer_id: customerId, items: [{ product_id: productId, quantity: 2 }], payment_method: 'pm_card_ok' });
    expect(result.isError).toBe(true);
    expect(result.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(result.error?.message).toContain('product: reserve_inventory lacks argument order_id');
    expect(await productState(platform, productId)).toMatchObject({ stock_reserved: 0, stock_on_hand: 5 });
    const listed = await order.client.ok<{ items: unknown[] }>('list_orders', { customer_id: customerId });
    expect(listed.items).toEqual([]);
  });
});

describe('a product build with a new optional argument and a new result field', () => {
  it('stays ready and confirms orders through it', async () => {
    const proxy = await startSchemaProxy(platform.processes.product.mcpUrl, (tools) =>
      tools.map((t) => (t.name === 'reserve_inventory' ? { ...t, inputSchema: { ...t.inputSchema, properties: { ...(t.inputSchema.properties as object), hold_minutes: { type: 'integer' } } } } : t)),
    );
    const order = await orderServiceAgainst(proxy.mcpUrl);
    try {
      await new Promise((r) => setTimeout(r, 1500)); // at least two contract checks
      const ready = (await (await fetch(`${order.url}/ready`)).json()) as { reasons?: Record<string, string> };
      expect(ready.reasons?.product).toBeUndefined();
      const metrics = await (await fetch(`${order.url}/metrics`)).text();
      expect(metrics).toMatch(/mcp_upstream_contract_violations\{[^}]*server="product"[^}]*\} 0/);
      const customerId = await newCustomer(platform);
      const productId = await newProduct(platform, 5);
      let placed = await order.client.ok<{ order_id: string; status: string }>('create_order', { customer_id: customerId, items: [{ product_id: productId, quantity: 2 }], payment_method: 'pm_card_ok' });
      // A busy machine may answer `pending` at the deadline; the saga goes on.
      for (let i = 0; i < 60 && placed.status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        placed = await order.client.ok('get_order', { order_id: placed.order_id });
      }
      expect(placed.status).toBe('confirmed');
    } finally {
      await order.stop();
      await proxy.close();
    }
  });
});

