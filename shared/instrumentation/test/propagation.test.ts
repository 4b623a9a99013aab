import { context, propagation, trace, ROOT_CONTEXT, SpanKind, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { contextFromMeta, injectMeta, markToolError, startMcpServerSpan } from '../src';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('params._meta trace context', () => {
  it('injectMeta writes the active span as a W3C traceparent and contextFromMeta reads it back', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: false });
    const meta = injectMeta({ other: 'kept' }, parent);
    expect(meta).toEqual({ other: 'kept', traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });

    const extracted = contextFromMeta(meta, ROOT_CONTEXT);
    expect(extracted).toBeDefined();
    expect(trace.getSpanContext(extracted!)).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  });

  it('carries tracestate along with traceparent', () => {
    const meta = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=abc' };
    const roundTripped = injectMeta({}, contextFromMeta(meta, ROOT_CONTEXT)!);
    expect(roundTripped).toEqual(meta);
  });

  it('returns undefined without a traceparent, and an invalid one yields no span context', () => {
    expect(contextFromMeta(undefined)).toBeUndefined();
    expect(contextFromMeta({ progressToken: 1 })).toBeUndefined();
    expect(contextFromMeta({ traceparent: 42 } as never)).toBeUndefined();
    const garbage = contextFromMeta({ traceparent: 'not-a-traceparent' }, ROOT_CONTEXT);
    expect(trace.getSpanContext(garbage!)).toBeUndefined();
  });

  it('startMcpServerSpan parents on _meta.traceparent and links to the HTTP span it arrived on', () => {
    const httpSpan = trace.getTracer('test').startSpan('POST /mcp', { kind: SpanKind.SERVER });
    const { span } = context.with(trace.setSpan(ROOT_CONTEXT, httpSpan), () =>
      startMcpServerSpan({ method: 'tools/call', target: 'get_customer', requestId: 7, protocolVersion: '2026-07-28', meta: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` } }),
    );
    markToolError(span, 'NOT_FOUND');
    span.end();
    httpSpan.end();

    const server = exporter.getFinishedSpans().find((s) => s.name === 'tools/call get_customer')!;
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(SPAN_ID);
    expect(server.links.map((l) => l.context.spanId)).toEqual([httpSpan.spanContext().spanId]);
    expect(server.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'get_customer',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '7',
      'mcp.protocol.version': '2026-07-28',
      'error.type': 'tool_error',
    });
  });

  it('startMcpServerSpan without _meta is a child of the active (HTTP) span', () => {
    const httpSpan = trace.getTracer('test').startSpan('POST /mcp', { kind: SpanKind.SERVER });
    const { span } = context.with(trace.setSpan(ROOT_CONTEXT, httpSpan), () => startMcpServerSpan({ method: 'tools/list' }));
    span.end();
    httpSpan.end();
    const server = exporter.getFinishedSpans().find((s) => s.name === 'tools/list')!;
    expect(server.parentSpanContext?.spanId).toBe(httpSpan.spanContext().spanId);
    expect(server.links).toEqual([]);
    expect(server.attributes['gen_ai.tool.name']).toBeUndefined();
  });
});
