import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { ancestorsOf, OtlpReceiver, ReceivedSpan, SPAN_KIND, ServiceProcess, TestClient, connectClient, dropTestDatabases, serviceTestEnv, spawnService } from '@fedmcp/testing';
import { GET_CUSTOMER } from '../src/customer.tools';
import { newCustomer } from './fixtures';

jest.setTimeout(60_000);

let receiver: OtlpReceiver;
let proc: ServiceProcess;
let client: TestClient;

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  const env = await serviceTestEnv('customer', {
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  proc = await spawnService('customer', env);
  client = await connectClient(proc.mcpUrl, 'modern');
}, 60_000);

afterAll(async () => {
  await client?.close();
  await proc?.stop();
  await receiver?.close();
  await dropTestDatabases();
});


const isToolSpan = (s: ReceivedSpan, traceId: string) => s.traceId === traceId && s.kind === SPAN_KIND.SERVER && s.name === `tools/call ${GET_CUSTOMER}`;

/** The one 'tool call' log line of a trace. */
function toolLogLine(traceId: string): Record<string, unknown> | undefined {
  return proc.lines
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .find((l) => l.message === 'tool call' && l.trace_id === traceId);
}

describe('customer telemetry', () => {
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  let customerId: string;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    customerId = (await newCustomer(client)).customer_id;
    // A caller that passes its trace context in params._meta, as the order service does.
    const result = await client.call(GET_CUSTOMER, { customer_id: customerId }, { traceparent: `00-${traceId}-${callerSpanId}-01` });
    expect(result.isError).toBe(false);
    spans = await receiver.waitFor((all) => all.some((s) => isToolSpan(s, traceId)) && all.some((s) => s.traceId === traceId && s.attributes['db.system.name'] === 'postgresql'), 15_000);
  });

  it('records a SERVER span `tools/call get_customer` with the MCP semantic-convention attributes', () => {
    const server = spans.find((s) => isToolSpan(s, traceId))!;
    expect(server.service).toBe('customer-service');
    expect(server.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': GET_CUSTOMER,
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': expect.any(String),
      'mcp.protocol.version': '2026-07-28',
    });
    expect(server.attributes['error.type']).toBeUndefined();
  });

  it('parents the SERVER span on params._meta.traceparent and links it to the HTTP span', () => {
    const server = spans.find((s) => isToolSpan(s, traceId))!;
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe(callerSpanId);
    expect(server.links.length).toBeGreaterThan(0);
  });

  it('records the HTTP SERVER span `POST /mcp` the call arrived on, with its route and status', async () => {
    const server = spans.find((s) => isToolSpan(s, traceId))!;
    const [link] = server.links;
    const all = await receiver.waitFor((s) => s.some((x) => x.spanId === link.spanId), 15_000);
    const http = all.find((x) => x.spanId === link.spanId)!;
    expect(http).toMatchObject({ service: 'customer-service', kind: SPAN_KIND.SERVER, name: 'POST /mcp' });
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/mcp', 'url.path': '/mcp', 'http.response.status_code': 200 });
    expect(http.status?.code ?? 0).toBe(0); // UNSET: a 200 is no error
  });

  it('records the database query as a child span with the DB semantic-convention attributes', () => {
    const server = spans.find((s) => isToolSpan(s, traceId))!;
    const db = spans.filter((s) => s.traceId === traceId && s.attributes['db.system.name'] === 'postgresql');
    const select = db.find((s) => s.attributes['db.collection.name'] === 'customers');
    expect(select).toBeDefined();
    expect(select!.kind).toBe(SPAN_KIND.CLIENT);
    expect(select!.attributes['db.operation.name']).toBe('SELECT');
    expect(ancestorsOf(select!, spans).map((a) => a.spanId)).toContain(server.spanId);
  });

  it('writes one JSON log line for the call with the same trace id, a span id and the service name', () => {
    const server = spans.find((s) => isToolSpan(s, traceId))!;
    const line = toolLogLine(traceId);
    expect(line).toMatchObject({ service: 'customer', level: 'info', message: 'tool call', tool: GET_CUSTOMER, status: 'success', duration_ms: expect.any(Number) });
    expect(line!.span_id).toBe(server.spanId);
  });

  it('gives a call without _meta its own trace, still with a database child span', async () => {
    const before = new Set(spans.filter((s) => s.name === `tools/call ${GET_CUSTOMER}`).map((s) => s.traceId));
    // Another id: a cache miss, so the database is queried.
    const other = (await newCustomer(client)).customer_id;
    expect((await client.call(GET_CUSTOMER, { customer_id: other })).isError).toBe(false);
    const all = await receiver.waitFor((s) => s.some((x) => x.kind === SPAN_KIND.SERVER && x.name === `tools/call ${GET_CUSTOMER}` && !before.has(x.traceId)), 15_000);
    const server = all.find((x) => x.kind === SPAN_KIND.SERVER && x.name === `tools/call ${GET_CUSTOMER}` && !before.has(x.traceId))!;
    expect(server.traceId).not.toBe(traceId);
    await receiver.waitFor((s) => s.some((x) => x.traceId === server.traceId && x.attributes['db.collection.name'] === 'customers'), 10_000);
    const db = receiver.spans.find((x) => x.traceId === server.traceId && x.attributes['db.collection.name'] === 'customers')!;
    expect(ancestorsOf(db, receiver.spans).map((a) => a.spanId)).toContain(server.spanId);
    // Without _meta the MCP span is the child of the HTTP span, whose context the body parser's callback kept.
    const all2 = await receiver.waitFor((s) => s.some((x) => x.spanId === server.parentSpanId), 10_000);
    expect(all2.find((x) => x.spanId === server.parentSpanId)).toMatchObject({ name: 'POST /mcp', kind: SPAN_KIND.SERVER, traceId: server.traceId });
  });

  it('keeps the HTTP span as the parent when the body arrives after the headers', async () => {
    // The body parser resumes on a later socket event; the rest of the route must still run in the HTTP span's context.
    const id = `slow-body-${randomBytes(4).toString('hex')}`;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: GET_CUSTOMER, arguments: { customer_id: customerId } } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(proc.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 150);
    });
    expect(status).toBe(200);
    const isThisCall = (x: ReceivedSpan) => x.kind === SPAN_KIND.SERVER && x.attributes['jsonrpc.request.id'] === id;
    const all = await receiver.waitFor((s) => s.some((x) => isThisCall(x) && s.some((y) => y.spanId === x.parentSpanId)), 15_000);
    const server = all.find(isThisCall)!;
    expect(all.find((x) => x.spanId === server.parentSpanId)).toMatchObject({ name: 'POST /mcp', kind: SPAN_KIND.SERVER, traceId: server.traceId });
  });

  it('marks a failing call (NOT_FOUND) with error.type=tool_error and logs it as an error', async () => {
    const failingTrace = randomBytes(16).toString('hex');
    const result = await client.call(GET_CUSTOMER, { customer_id: 'cus_doesnotexist0000' }, { traceparent: `00-${failingTrace}-${randomBytes(8).toString('hex')}-01` });
    expect(result.error?.code).toBe('NOT_FOUND');
    const all = await receiver.waitFor((s) => s.some((x) => isToolSpan(x, failingTrace)), 15_000);
    const server = all.find((x) => isToolSpan(x, failingTrace))!;
    expect(server.attributes['error.type']).toBe('tool_error');
    expect(server.status?.code).toBe(2); // ERROR
    expect(toolLogLine(failingTrace)).toMatchObject({ service: 'customer', tool: GET_CUSTOMER, status: 'error', error_code: 'NOT_FOUND', span_id: server.spanId });
  });
});
