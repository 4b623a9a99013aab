import express, { Request as ExpressRequest, Response as ExpressResponse, NextFunction } from 'express';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { context, markSpanError, startMcpServerSpan, ServiceMetrics, Logger, McpMessageInfo } from '@fedmcp/instrumentation';

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_JSON_DEPTH = 64;
const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
/** JSON-RPC errors that mean "the request itself is wrong": answered with HTTP 400. */
const CLIENT_ERROR_CODES = new Set([-32700, -32600, -32601, -32602]);

interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: { name?: string; uri?: string; protocolVersion?: string; _meta?: Record<string, unknown> };
  error?: { code: number; message: string };
}

export function jsonRpcError(res: ExpressResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  res.status(status).type('application/json').send(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }));
}

/** Deepest nesting of arrays/objects in a JSON text, stopping once past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

function describe(message: JsonRpcMessage, req: ExpressRequest): McpMessageInfo {
  const params = message.params ?? {};
  const meta = params._meta;
  const headerVersion = req.get('mcp-protocol-version');
  const metaVersion = typeof meta?.[PROTOCOL_VERSION_META] === 'string' ? (meta[PROTOCOL_VERSION_META] as string) : undefined;
  return {
    method: message.method ?? 'unknown',
    target: typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined,
    requestId: message.id,
    protocolVersion: metaVersion ?? headerVersion ?? params.protocolVersion,
    meta,
  };
}

/** JSON-RPC error of a single-message response, from JSON or a one-event SSE body. */
function responseError(contentType: string, text: string): JsonRpcMessage['error'] | undefined {
  let payload = text;
  if (contentType.includes('text/event-stream')) {
    const data = text.split('\n').filter((l) => l.startsWith('data:'));
    if (data.length !== 1) return undefined;
    payload = data[0].slice(5);
  }
  try {
    const parsed = JSON.parse(payload) as JsonRpcMessage;
    return Array.isArray(parsed) ? undefined : parsed.error;
  } catch {
    return undefined;
  }
}

function toWebRequest(req: ExpressRequest, body: Buffer | undefined): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const url = `http://${req.headers.host ?? 'localhost'}${req.originalUrl}`;
  return new Request(url, { method: req.method, headers, body: body && body.length ? new Uint8Array(body) : undefined });
}

async function sendWebResponse(res: ExpressResponse, response: Response, body: string | undefined): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'transfer-encoding') res.setHeader(key, value);
  });
  if (body !== undefined) {
    res.send(body);
    return;
  }
  // A live stream (subscriptions/listen): pass it through as it comes.
  res.flushHeaders();
  const reader = response.body?.getReader();
  if (!reader) return void res.end();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

export interface McpRouteDeps {
  handler: McpHttpHandler;
  metrics: ServiceMetrics;
  logger: Logger;
}

/**
 * The POST/GET/DELETE /mcp route: reads the body under a 1 MB limit, refuses
 * absurd nesting, opens the MCP SERVER span (parented on params._meta
 * traceparent), hands the request to the SDK and turns protocol-level
 * JSON-RPC errors into 4xx answers.
 */
export function mcpRoute(deps: McpRouteDeps) {
  const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  return [
    raw,
    async (req: ExpressRequest, res: ExpressResponse) => {
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      let parsed: unknown;
      if (req.method === 'POST') {
        const text = body?.toString('utf8') ?? '';
        if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
          deps.metrics.requests.inc({ method: 'invalid', status: 'error' });
          return jsonRpcError(res, 400, -32600, `Invalid request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
        }
        try {
          parsed = JSON.parse(text);
        } catch {
          deps.metrics.requests.inc({ method: 'invalid', status: 'error' });
          return jsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
        }
      }
      const single = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonRpcMessage) : undefined;
      const info = single ? describe(single, req) : { method: Array.isArray(parsed) ? 'batch' : req.method };
      const { span, ctx } = startMcpServerSpan(info);
      try {
        const response = await context.with(ctx, () => deps.handler.fetch(toWebRequest(req, body), parsed === undefined ? undefined : { parsedBody: parsed }));
        const contentType = response.headers.get('content-type') ?? '';
        const streaming = info.method === 'subscriptions/listen' || req.method === 'GET';
        const text = streaming ? undefined : await response.text();
        const error = text !== undefined ? responseError(contentType, text) : undefined;
        span.setAttribute('http.response.status_code', response.status);
        if (error) {
          span.setAttribute('rpc.response.status_code', String(error.code));
          markSpanError(span, String(error.code));
        } else if (response.status >= 400) {
          markSpanError(span, String(response.status));
        }
        deps.metrics.requests.inc({ method: info.method, status: error || response.status >= 400 ? 'error' : 'ok' });
        if (error && single?.id !== undefined && CLIENT_ERROR_CODES.has(error.code) && response.status < 400) {
          return jsonRpcError(res, 400, error.code, error.message, single.id ?? null);
        }
        await sendWebResponse(res, response, text);
      } catch (error) {
        markSpanError(span, 'internal', error);
        deps.metrics.requests.inc({ method: info.method, status: 'error' });
        deps.logger.error('MCP request failed', { error: error instanceof Error ? error.message : String(error) });
        if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error', single?.id ?? null);
      } finally {
        span.end();
      }
    },
  ];
}

/** JSON answers for errors express raises itself (body too large, bad encoding). */
export function jsonErrorHandler(logger: Logger) {
  return (error: { type?: string; status?: number; message?: string }, req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.too.large') return jsonRpcError(res, 413, -32600, `Request body exceeds the ${MAX_BODY_BYTES / 1024 / 1024} MB limit`);
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error('HTTP request failed', { path: req.path, error: error.message });
    return jsonRpcError(res, status, status === 500 ? -32603 : -32600, status === 500 ? 'Internal error' : 'Invalid request');
  };
}
