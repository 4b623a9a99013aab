import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { httpServerSpans, injectTraceHeaders } from '../src';

// httpServerSpans on a bare node:http server: one SERVER span per request
// but the probes, its status from the response, the traceparent header
// continued, and the handlers run in its context.
const exporter = new InMemorySpanExporter();
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

let server: http.Server;
let port: number;
/** The trace id the handler saw as active, by path. */
const activeTraceIds = new Map<string, string | undefined>();

beforeAll(async () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  const spans = httpServerSpans({ route: (path) => (path === '/mcp' ? '/mcp' : undefined) });
  server = http.createServer((req, res) =>
    spans(req, res, () => {
      const path = (req.url ?? '').split('?')[0];
      activeTraceIds.set(path, trace.getActiveSpan()?.spanContext().traceId);
      if (path === '/hang') return; // never answered: the client goes away
      const status = path === '/denied' ? 401 : path === '/boom' ? 500 : path === '/nope' ? 404 : 200;
      res.writeHead(status).end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

function send(method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The spans ended so far, once `count` of them have (a span ends at the response's close). */
async function ended(count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return exporter.getFinishedSpans();
}

describe('httpServerSpans', () => {
  it('names an MCP request by its route, with the stable HTTP attributes, and continues traceparent', async () => {
    expect(await send('POST', '/mcp?token=secret', { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` })).toBe(200);
    const [span] = await ended(1);
    expect(span.name).toBe('POST /mcp');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(SPAN_ID);
    // The query string never reaches the span.
    expect(span.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/mcp', 'url.scheme': 'http', 'http.route': '/mcp', 'http.response.status_code': 200, 'server.port': port, 'network.protocol.version': '1.1' });
    expect(JSON.stringify(span.attributes)).not.toContain('secret');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The handler ran in the span's context.
    expect(activeTraceIds.get('/mcp')).toBe(TRACE_ID);
  });

  it('marks a 5xx as an error and leaves a 4xx (a refused token, an unknown path) unset', async () => {
    expect(await send('POST', '/boom')).toBe(500);
    expect(await send('POST', '/denied')).toBe(401);
    expect(await send('GET', '/nope')).toBe(404);
    const spans = await ended(3);
    const byStatus = Object.fromEntries(spans.map((s) => [s.attributes['http.response.status_code'], s]));
    expect(byStatus[500].status.code).toBe(SpanStatusCode.ERROR);
    expect(byStatus[401].status.code).toBe(SpanStatusCode.UNSET);
    expect(byStatus[404]).toMatchObject({ name: 'GET', status: { code: SpanStatusCode.UNSET } });
    expect(byStatus[404].attributes['http.route']).toBeUndefined();
  });

  it('ends the span of a request whose client went away, marked aborted', async () => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/hang' });
    req.on('error', () => undefined);
    req.end();
    for (let i = 0; i < 100 && !activeTraceIds.has('/hang'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    req.destroy();
    const [span] = await ended(1);
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('gives probes and scrapes no span', async () => {
    for (const path of ['/health', '/ready', '/metrics']) expect(await send('GET', path)).toBe(200);
    await send('GET', '/nope');
    const spans = await ended(1);
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/nope']);
  });
});

describe('injectTraceHeaders', () => {
  it('writes the active span as traceparent into outgoing headers', () => {
    const active = trace.getTracer('test').startSpan('client');
    const headers: Record<string, string> = { accept: 'application/json' };
    context.with(trace.setSpan(context.active(), active), () => injectTraceHeaders(headers));
    active.end();
    const { traceId, spanId } = active.spanContext();
    expect(headers).toEqual({ accept: 'application/json', traceparent: `00-${traceId}-${spanId}-01` });
  });
});
