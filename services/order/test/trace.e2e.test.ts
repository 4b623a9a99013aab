import { ancestorsOf, OtlpReceiver, Platform, SPAN_KIND, TestAuthServer, dropTestDatabases, startPlatform, startTestAuthServer } from '@fedmcp/testing';
import { newCustomer, newProduct, placeOrder } from './fixtures';

jest.setTimeout(90_000);

let auth: TestAuthServer;
let platform: Platform;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  // Authorization on, as `npm start` runs it: the trace crosses servers that check tokens.
  auth = await startTestAuthServer();
  platform = await startPlatform({
    auth,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200' },
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await auth?.stop();
  await receiver?.close();
  await dropTestDatabases();
});


describe('one trace per order', () => {
  it('traces create_order across all four services with MCP client/server spans and database spans', async () => {
    const customer = await newCustomer(platform);
    const product = await newProduct(platform, 5);
    const placed = await placeOrder(platform.clients.order, { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(placed.status).toBe('confirmed');

    const upstreamCalls = ['get_customer', 'reserve_inventory', 'authorize_payment', 'commit_reservation', 'capture_payment'];
    const spans = await receiver.waitFor((all) => {
      const root = all.find((s) => s.name === 'tools/call create_order' && s.service === 'order-service');
      if (!root) return false;
      const trace = all.filter((s) => s.traceId === root.traceId);
      return upstreamCalls.every((tool) => trace.some((s) => s.kind === SPAN_KIND.SERVER && s.name === `tools/call ${tool}`));
    }, 20_000);

    const root = spans.find((s) => s.name === 'tools/call create_order' && s.service === 'order-service')!;
    expect(root.kind).toBe(SPAN_KIND.SERVER);
    expect(root.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'create_order', 'gen_ai.operation.name': 'execute_tool' });
    const trace = spans.filter((s) => s.traceId === root.traceId);
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['order-service', 'customer-service', 'product-service', 'payment-service']));

    for (const tool of upstreamCalls) {
      const client = trace.find((s) => s.service === 'order-service' && s.kind === SPAN_KIND.CLIENT && s.name === `tools/call ${tool}`);
      expect(client).toBeDefined();
      expect(ancestorsOf(client!, spans)).toContainEqual(expect.objectContaining({ spanId: root.spanId }));
      const server = trace.find((s) => s.service !== 'order-service' && s.kind === SPAN_KIND.SERVER && s.name === `tools/call ${tool}`);
      expect(server).toBeDefined();
      // The upstream SERVER span is the direct child of the caller's CLIENT span (params._meta.traceparent)…
      expect(server!.parentSpanId).toBe(client!.spanId);
      // …and links to the HTTP server span it arrived on, which continues the traceparent header
      // the order service sent from inside the same CLIENT span.
      expect(server!.links.length).toBeGreaterThan(0);
      const arrivedOn = await receiver.waitFor((all) => all.some((s) => s.spanId === server!.links[0].spanId), 10_000);
      expect(arrivedOn.find((s) => s.spanId === server!.links[0].spanId)).toMatchObject({ service: server!.service, kind: SPAN_KIND.SERVER, name: 'POST /mcp', traceId: root.traceId, parentSpanId: client!.spanId });
      expect(server!.attributes['gen_ai.tool.name']).toBe(tool);
    }

    const reserveServer = trace.find((s) => s.service === 'product-service' && s.name === 'tools/call reserve_inventory')!;
    const dbSpans = trace.filter((s) => s.service === 'product-service' && s.attributes['db.system.name'] === 'postgresql');
    expect(dbSpans.length).toBeGreaterThan(0);
    expect(dbSpans.some((s) => ancestorsOf(s, spans).some((a) => a.spanId === reserveServer.spanId))).toBe(true);
    expect(dbSpans.every((s) => typeof s.attributes['db.operation.name'] === 'string')).toBe(true);
    expect(trace.some((s) => s.service === 'order-service' && s.attributes['db.system.name'] === 'postgresql' && s.attributes['db.collection.name'] === 'orders')).toBe(true);

    // get_customer changes nothing: its audit row goes out in a batch shortly after. The batch
    // holds rows of many calls, so its insert is a trace of its own, never part of this order's.
    const isBatchInsert = (s: (typeof spans)[number]) => s.service === 'customer-service' && s.name === 'INSERT audit_events' && !s.parentSpanId;
    const later = await receiver.waitFor((all) => all.some(isBatchInsert), 10_000);
    expect(later.filter((s) => s.traceId === root.traceId && s.name === 'INSERT audit_events' && s.service === 'customer-service')).toEqual([]);
  });
});
