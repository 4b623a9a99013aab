import { OtlpReceiver, Platform, TestClient, connectClient, dropTestDatabases, startPlatform, unique } from '@fedmcp/testing';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';
import type { AuditEvent } from '@fedmcp/service-kit';
import { newCustomer, newProduct, placeOrder } from './fixtures';

jest.setTimeout(120_000);

let platform: Platform;
let receiver: OtlpReceiver;

beforeAll(async () => {
  // Tracing on, as in production: events carry the trace id of their call.
  receiver = await new OtlpReceiver().start();
  platform = await startPlatform({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
  await dropTestDatabases();
});

async function eventOf(client: TestClient, tool: string, resourceId: string): Promise<AuditEvent> {
  const { items } = await client.ok<{ items: AuditEvent[] }>(LIST_AUDIT_EVENTS, { tool, limit: 100 });
  const matching = items.filter((e) => e.resource_ids.includes(resourceId));
  expect(matching).toHaveLength(1);
  return matching[0];
}

describe('audit trail across the platform', () => {
  it('after an order, each service lists the calls it served with principal, outcome and trace id', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 5);
    const order = await placeOrder(platform.clients.order, { customer_id: customer, items: [{ product_id: product, quantity: 2 }], payment_method: 'pm_card_ok' });
    expect(order.status).toBe('confirmed');
    const { reservation_id } = await platform.clients.order.ok<{ reservation_id: string }>('get_order', { order_id: order.order_id });

    const created = await eventOf(platform.clients.order, 'create_order', order.order_id);
    expect(created).toMatchObject({ outcome: 'ok', principal: { sub: 'anonymous', client_id: expect.stringContaining('127.0.0.1') }, on_behalf_of: null });
    expect(created.resource_ids).toEqual(expect.arrayContaining([order.order_id, customer]));
    expect(created.trace_id).toMatch(/^[0-9a-f]{32}$/);

    // The calls the saga made: served by the other three, in the same trace, by the order service as their client.
    const upstream: [TestClient, string, string][] = [
      [platform.clients.customer, 'get_customer', customer],
      [platform.clients.product, 'reserve_inventory', order.order_id],
      [platform.clients.product, 'commit_reservation', reservation_id],
      [platform.clients.payment, 'authorize_payment', order.payment_id!],
      [platform.clients.payment, 'capture_payment', order.payment_id!],
    ];
    for (const [client, tool, id] of upstream) {
      const event = await eventOf(client, tool, id);
      expect(event).toMatchObject({ tool, outcome: 'ok', trace_id: created.trace_id, principal: { sub: 'anonymous', client_id: expect.stringContaining('127.0.0.1') } });
    }
    const reserved = await eventOf(platform.clients.product, 'reserve_inventory', order.order_id);
    expect(reserved.resource_ids).toEqual(expect.arrayContaining([reservation_id, product]));
  });

  it('records failures with their error code', async () => {
    const missing = 'cus_doesnotexist';
    expect((await platform.clients.customer.call('get_customer', { customer_id: missing })).error?.code).toBe('NOT_FOUND');
    expect((await eventOf(platform.clients.customer, 'get_customer', missing)).outcome).toBe('NOT_FOUND');
  });

  it('keeps the event of an acknowledged change when the service is killed right after answering', async () => {
    const { customer_id } = await platform.clients.customer.ok<{ customer_id: string }>('create_customer', { name: 'Kill Nine', email: `kill-${unique()}@example.com` });
    platform.processes.customer.signal('SIGKILL');
    await platform.processes.customer.exited;
    const restarted = await platform.restart('customer');
    const client = await connectClient(restarted.mcpUrl);
    try {
      expect(await eventOf(client, 'create_customer', customer_id)).toMatchObject({ outcome: 'ok' });
    } finally {
      await client.close();
    }
  });
});
