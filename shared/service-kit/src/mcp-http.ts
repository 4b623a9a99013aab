import express, { Request as ExpressRequest, Response as ExpressResponse, NextFunction } from 'express';
import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';
import { ATTR, describeError, context, markSpanError, startMcpServerSpan, ServiceMetrics, Logger, McpMessageInfo } from '@fedmcp/instrumentation';
import type { AccessGate, Refusal } from './access';
import { principalOf } from './principal';
import { methodLabel } from './limits';
import { RateLimit, rateLimitKey } from './rate-limit';
import type { DirectCalls } from './mcp-server';

export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_JSON_DEPTH = 64;
const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
/** JSON-RPC errors that mean "the request itself is wrong": answered with HTTP 400. */
const CLIENT_ERROR_CODES = new Set([-32700, -32600, -32601, -32602]);

export interface JsonRpcMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: { name?: string; uri?: string; protocolVersion?: string; _meta?: Record<string, unknown> };
  error?: { code: number; message: string };
}

export function jsonRpcError(res: ExpressResponse, status: number, code: number, message: string, id: string | number | null = null, headers?: Record<string, string>): void {
  if (headers) res.set(headers);
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

/**
 * POST bodies must be JSON in UTF-8: anything else is 415 before the body is
 * read (a `charset=utf-16` body must not be parsed as if it were UTF-8).
 */
export function unsupportedMediaType(contentType: string | undefined): string | undefined {
  const [type, ...parameters] = (contentType ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return 'Content-Type must be application/json';
  for (const parameter of parameters) {
    const [key, value = ''] = parameter.split('=');
    const charset = value.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (key.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8') return `the body must be UTF-8, not charset=${charset.slice(0, 40)}`;
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why one JSON-RPC message is malformed, or undefined when its envelope is sound. */
function messageProblem(message: unknown): string | undefined {
  if (!isObject(message)) return 'a JSON-RPC message must be an object';
  if (message.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('method' in message && typeof message.method !== 'string') return 'method must be a string';
  if ('id' in message && typeof message.id !== 'string' && typeof message.id !== 'number' && message.id !== null) return 'id must be a string or a number';
  if ('params' in message && !isObject(message.params)) return 'params must be an object';
  if (isObject(message.params) && '_meta' in message.params && !isObject(message.params._meta)) return 'params._meta must be an object';
  return undefined;
}

/** Why a request body is not a JSON-RPC message (or a non-empty batch of them), or undefined. */
export function envelopeProblem(body: unknown): string | undefined {
  if (!Array.isArray(body)) return messageProblem(body);
  if (body.length === 0) return 'an empty batch is not a request';
  for (const [index, message] of body.entries()) {
    const problem = messageProblem(message);
    if (problem) return `batch element ${index}: ${problem}`;
  }
  return undefined;
}

const requestId = (body: unknown) => (isObject(body) && (typeof body.id === 'string' || typeof body.id === 'number') ? body.id : null);

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

/** A JSON-RPC success answer starts so (the SDK writes `result` first); it carries no error. */
const RESULT_START = '{"result":';

/**
 * JSON-RPC error of a single-message response, from JSON or a one-event SSE
 * body. Success answers are recognised by their start and not parsed again.
 */
export function responseError(contentType: string, text: string): JsonRpcMessage['error'] | undefined {
  let payload = text;
  if (contentType.includes('text/event-stream')) {
    const data = text.split('\n').filter((l) => l.startsWith('data:'));
    if (data.length !== 1) return undefined;
    payload = data[0].slice(5).trimStart();
  }
  if (payload.startsWith(RESULT_START)) return undefined;
  try {
    const parsed = JSON.parse(payload) as JsonRpcMessage;
    return Array.isArray(parsed) ? undefined : parsed.error;
  } catch {
    return undefined;
  }
}

/**
 * The web Request the SDK handler is given. Without a body: the handler gets
 * the body already parsed (`parsedBody`) and reads none itself, so copying it
 * into a stream would be wasted work.
 */
function toWebRequest(req: ExpressRequest): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const url = `http://${req.headers.host ?? 'localhost'}${req.originalUrl}`;
  return new Request(url, { method: req.method, headers });
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
  /** Modern `tools/call` requests answered without the SDK handler (MCP_DIRECT_TOOL_CALLS); absent = all go to the SDK. */
  direct?: DirectCalls;
  /** Decides who is calling (401 before the body is read) and whether they may (403 before the SDK sees the request). */
  gate: AccessGate;
  /** RATE_LIMIT_PER_MINUTE, spent per principal after admission; absent = unlimited. */
  rateLimit?: RateLimit;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** Answers a refused request: its status, challenge and JSON-RPC error. */
function sendRefusal(res: ExpressResponse, refusal: Refusal, id: string | number | null): void {
  jsonRpcError(res, refusal.status, refusal.code, refusal.message, id, refusal.challenge ? { 'WWW-Authenticate': refusal.challenge } : undefined);
}

/**
 * The POST/GET/DELETE /mcp route: learns who is calling from the headers
 * (an unauthenticated request gets its 401 before its body is read, so it
 * costs no parsing), reads the body under a 1 MB limit, refuses absurd
 * nesting, opens the MCP SERVER span (parented on params._meta traceparent),
 * checks the caller may make the request, answers a plain modern tool call
 * directly and hands anything else to the SDK, turning protocol-level
 * JSON-RPC errors into 4xx answers.
 */
export function mcpRoute(deps: McpRouteDeps) {
  const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  const refuse = (res: ExpressResponse, status: number, code: number, message: string, id: string | number | null = null) => {
    deps.metrics.requests.inc({ method: 'invalid', status: 'error' });
    jsonRpcError(res, status, code, message, id);
  };
  return [
    async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
      const authentication = await deps.gate.authenticate(req);
      if ('refusal' in authentication) {
        // No id: the body, where it is, is never read.
        deps.metrics.requests.inc({ method: 'unauthenticated', status: 'error' });
        return sendRefusal(res, authentication.refusal, null);
      }
      res.locals.authInfo = authentication.authInfo;
      next();
    },
    (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
      const problem = req.method === 'POST' ? unsupportedMediaType(req.get('content-type')) : undefined;
      if (problem) return refuse(res, 415, -32000, `Unsupported Media Type: ${problem}`);
      next();
    },
    // raw-body calls back in the async context it was called in (an AsyncResource), so the rest of the route keeps the HTTP span's context.
    raw,
    async (req: ExpressRequest, res: ExpressResponse) => {
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      let parsed: unknown;
      if (req.method === 'POST') {
        let text: string;
        try {
          text = body ? utf8.decode(body) : '';
        } catch {
          return refuse(res, 400, -32700, 'Parse error: the body is not valid UTF-8');
        }
        if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return refuse(res, 400, -32600, `Invalid request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
        try {
          parsed = JSON.parse(text);
        } catch {
          return refuse(res, 400, -32700, 'Parse error: the body is not valid JSON');
        }
        const problem = envelopeProblem(parsed);
        if (problem) return refuse(res, 400, -32600, `Invalid request: ${problem}`, requestId(parsed));
      }
      const single = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonRpcMessage) : undefined;
      const info = single ? describe(single, req) : { method: Array.isArray(parsed) ? 'batch' : req.method };
      const { span, ctx } = startMcpServerSpan(info);
      try {
        const authInfo = res.locals.authInfo as AuthInfo;
        const refusal = deps.gate.authorize(authInfo, parsed);
        if (refusal) {
          span.setAttribute('http.response.status_code', refusal.status);
          markSpanError(span, String(refusal.status));
          deps.metrics.requests.inc({ method: methodLabel(info.method), status: 'error' });
          return sendRefusal(res, refusal, single?.id ?? null);
        }
        const principal = principalOf(authInfo);
        span.setAttribute(ATTR.ENDUSER_ID, principal.sub);
        span.setAttribute(ATTR.ENDUSER_CLIENT_ID, principal.client_id);
        const waitSeconds = await deps.rateLimit?.(rateLimitKey(principal));
        if (waitSeconds !== undefined) {
          span.setAttribute('http.response.status_code', 429);
          markSpanError(span, 'RATE_LIMITED');
          deps.metrics.requests.inc({ method: 'rate_limited', status: 'error' });
          return jsonRpcError(res, 429, -32000, 'RATE_LIMITED: too many requests from this client; retry after the Retry-After seconds', single?.id ?? null, { 'Retry-After': String(waitSeconds) });
        }
        const direct = single && deps.direct?.accept(single, { protocolVersion: req.get('mcp-protocol-version'), method: req.get('mcp-method'), name: req.get('mcp-name') });
        if (direct) {
          const text = await context.with(ctx, () => deps.direct!.answer(direct, authInfo));
          span.setAttribute('http.response.status_code', 200);
          deps.metrics.requests.inc({ method: methodLabel(info.method), status: 'ok' });
          // What express's res.type('application/json').send(text) writes, without its header and charset helpers.
          const bytes = Buffer.from(text, 'utf8');
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length }).end(bytes);
          return;
        }
        const request = toWebRequest(req);
        const response = await context.with(ctx, () => deps.handler.fetch(request, parsed === undefined ? { authInfo } : { parsedBody: parsed, authInfo }));
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
        deps.metrics.requests.inc({ method: methodLabel(info.method), status: error || response.status >= 400 ? 'error' : 'ok' });
        if (error && single?.id !== undefined && CLIENT_ERROR_CODES.has(error.code) && response.status < 400) {
          return jsonRpcError(res, 400, error.code, error.message, single.id ?? null);
        }
        await sendWebResponse(res, response, text);
      } catch (error) {
        markSpanError(span, 'internal', error);
        deps.metrics.requests.inc({ method: methodLabel(info.method), status: 'error' });
        deps.logger.error('MCP request failed', describeError(error));
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
