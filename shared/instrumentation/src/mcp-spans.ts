import {
  context,
  propagation,
  trace,
  Span,
  SpanKind,
  SpanStatusCode,
  Context,
  Link,
  Tracer,
} from '@opentelemetry/api';
import { ATTR, ERROR_TYPE_TOOL_ERROR, GEN_AI_OPERATION_EXECUTE_TOOL } from './semconv';

const TRACER_NAME = '@fedmcp/instrumentation';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** What we know about one MCP JSON-RPC message. */
export interface McpMessageInfo {
  method: string;
  /** Tool or prompt name, or resource URI. */
  target?: string;
  requestId?: string | number | null;
  protocolVersion?: string;
  meta?: Record<string, unknown>;
  serverAddress?: string;
  serverPort?: number;
}

/** `{mcp.method.name} {target}`, e.g. `tools/call create_order`. */
export function mcpSpanName(method: string, target?: string): string {
  return target ? `${method} ${target}` : method;
}

function mcpAttributes(info: McpMessageInfo): Record<string, string | number> {
  const attrs: Record<string, string | number> = {
    [ATTR.MCP_METHOD_NAME]: info.method,
    [ATTR.NETWORK_TRANSPORT]: 'tcp',
    [ATTR.NETWORK_PROTOCOL_NAME]: 'http',
  };
  if (info.requestId !== undefined && info.requestId !== null) attrs[ATTR.JSONRPC_REQUEST_ID] = String(info.requestId);
  if (info.protocolVersion) attrs[ATTR.MCP_PROTOCOL_VERSION] = info.protocolVersion;
  if (info.method === 'tools/call' && info.target) {
    attrs[ATTR.GEN_AI_TOOL_NAME] = info.target;
    attrs[ATTR.GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
  }
  if (info.method === 'prompts/get' && info.target) attrs[ATTR.GEN_AI_PROMPT_NAME] = info.target;
  if (info.method.startsWith('resources/') && info.target) attrs[ATTR.MCP_RESOURCE_URI] = info.target;
  if (info.serverAddress) attrs[ATTR.SERVER_ADDRESS] = info.serverAddress;
  if (info.serverPort) attrs[ATTR.SERVER_PORT] = info.serverPort;
  return attrs;
}

const metaGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

const metaSetter = {
  set: (carrier: Record<string, unknown>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** Reads `traceparent`/`tracestate` from `params._meta`, if present. */
export function contextFromMeta(meta: Record<string, unknown> | undefined, base: Context = context.active()): Context | undefined {
  if (!meta || typeof meta.traceparent !== 'string') return undefined;
  return propagation.extract(base, meta, metaGetter);
}

/** Writes the active context's `traceparent`/`tracestate` into a `_meta` object. */
export function injectMeta(meta: Record<string, unknown> = {}, ctx: Context = context.active()): Record<string, unknown> {
  propagation.inject(ctx, meta, metaSetter);
  return meta;
}

/**
 * Starts the SERVER span for one incoming MCP request. It parents on
 * `params._meta.traceparent` when present (so it is the direct child of the
 * caller's CLIENT span) and links to the HTTP server span it arrived on.
 */
export function startMcpServerSpan(info: McpMessageInfo): { span: Span; ctx: Context } {
  const active = context.active();
  const httpSpan = trace.getSpan(active);
  const fromMeta = contextFromMeta(info.meta, active);
  const links: Link[] = [];
  if (fromMeta && httpSpan) links.push({ context: httpSpan.spanContext() });
  const parent = fromMeta ?? active;
  const span = tracer().startSpan(
    mcpSpanName(info.method, info.target),
    { kind: SpanKind.SERVER, attributes: mcpAttributes(info), links },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Starts the CLIENT span for one outgoing MCP request, as a child of the active span. */
export function startMcpClientSpan(info: McpMessageInfo): { span: Span; ctx: Context } {
  const active = context.active();
  const span = tracer().startSpan(mcpSpanName(info.method, info.target), { kind: SpanKind.CLIENT, attributes: mcpAttributes(info) }, active);
  return { span, ctx: trace.setSpan(active, span) };
}

/** Marks a span as a failed tool call (`isError: true` result). */
export function markToolError(span: Span, code: string, message?: string): void {
  span.setAttribute(ATTR.ERROR_TYPE, ERROR_TYPE_TOOL_ERROR);
  span.setAttribute(ATTR.MCP_TOOL_ERROR_CODE, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? code });
}

/** Marks a span as failed with a JSON-RPC error or an exception. */
export function markSpanError(span: Span, errorType: string, error?: unknown): void {
  span.setAttribute(ATTR.ERROR_TYPE, errorType);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : errorType });
}
