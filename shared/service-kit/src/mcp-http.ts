import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
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

/** A JSON answer with the headers express's `res.json` writes (`application/json; charset=utf-8`, a Content-Length). */
export function sendJson(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  const bytes = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length }).end(bytes);
}

export function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null, headers?: Record<string, string>): void {
  sendJson(res, status, JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }), headers);
}

/** A request header's value (node joins a repeated header into one string; only set-cookie stays a list). */
const header = (req: IncomingMessage, name: string) => req.headers[name] as string | undefined;

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

function describe(message: JsonRpcMessage, req: IncomingMessage): McpMessageInfo {
  const params = message.params ?? {};
  const meta = params._meta;
  const headerVersion = header(req, 'mcp-protocol-version');
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
function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/mcp'}`;
  return new Request(url, { method: req.method, headers });
}

/**
 * Writes the SDK's text answer as express's `res.send` wrote it: the content
 * type with `charset=utf-8` (text/html when the SDK set none, as on an empty
 * 202), a Content-Length, and no body or content headers on 204 and 304.
 */
function sendText(res: ServerResponse, text: string): void {
  const type = res.getHeader('content-type');
  const base = typeof type === 'string' ? type.replace(/;\s*charset=[^;]*/i, '') : 'text/html';
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.removeHeader('content-type');
    return void res.end();
  }
  res.setHeader('Content-Type', `${base}; charset=utf-8`);
  const bytes = Buffer.from(text, 'utf8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

async function sendWebResponse(res: ServerResponse, response: Response, body: string | undefined): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    if (key !== 'content-length' && key !== 'transfer-encoding') res.setHeader(key, value);
  });
  if (body !== undefined) return sendText(res, body);
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

export interface McpHandlerDeps {
  handler: McpHttpHandler;
  /** Modern `tools/call` requests answered without the SDK handler (MCP_DIRECT_TOOL_CALLS); absent = all go to the SDK. */
  direct?: DirectCalls;
  /** Decides who is calling (401 before the body is read) and whether they may (403 before the SDK sees the request). */
  gate: AccessGate;
  /** RATE_LIMIT_PER_MINUTE, spent per principal after admission; absent = unlimited. */
  rateLimit?: RateLimit;
  /** Refuses requests from a Host or Origin this server must not serve (DNS rebinding); absent = none refused. */
  guard?: RequestGuard;
  metrics: ServiceMetrics;
  logger: Logger;
}

/** Answers a refused request: its status, challenge and JSON-RPC error. */
function sendRefusal(res: ServerResponse, refusal: Refusal, id: string | number | null): void {
  jsonRpcError(res, refusal.status, refusal.code, refusal.message, id, refusal.challenge ? { 'WWW-Authenticate': refusal.challenge } : undefined);
}

/** The answer to a request whose body could not be read: too large, badly encoded, cut short. */
function bodyErrorAnswer(error: { type?: string; status?: number }): { status: number; code: number; message: string } {
  if (error.type === 'entity.too.large') return { status: 413, code: -32600, message: `Request body exceeds the ${MAX_BODY_BYTES / 1024 / 1024} MB limit` };
  const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
  return status === 500 ? { status, code: -32603, message: 'Internal error' } : { status, code: -32600, message: 'Invalid request' };
}

/**
 * The /mcp endpoint, every method, as one plain node handler (express's
 * router and its per-layer work are kept for the probes): refuses a Host or
 * Origin it must not serve (DNS rebinding), learns who is calling from the
 * headers (an unauthenticated request gets its 401 before its body is read,
 * so it costs no parsing), reads the body under a 1 MB limit (express's raw
 * body parser: the same inflation and errors), refuses absurd nesting, opens
 * the MCP SERVER span (parented on params._meta traceparent), checks the
 * caller may make the request, answers a plain modern tool call directly and
 * hands anything else to the SDK, turning protocol-level JSON-RPC errors into
 * 4xx answers.
 */
export function mcpHandler(deps: McpHandlerDeps) {
  const raw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  // raw-body calls back in the async context it was called in (an AsyncResource), so the rest keeps the HTTP span's context.
  const readBody = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<Buffer | undefined>((resolve, reject) =>
      raw(req as express.Request, res as express.Response, (error?: unknown) => (error ? reject(error) : resolve(bodyOf(req)))),
    );
  const refuse = (res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null) => {
    deps.metrics.requests.inc({ method: 'invalid', status: 'error' });
    jsonRpcError(res, status, code, message, id);
  };
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const forbidden = deps.guard?.(req);
    if (forbidden) return jsonRpcError(res, 403, -32000, forbidden);
    const authentication = await deps.gate.authenticate(req);
    if ('refusal' in authentication) {
      // No id: the body, where it is, is never read.
      deps.metrics.requests.inc({ method: 'unauthenticated', status: 'error' });
      return sendRefusal(res, authentication.refusal, null);
    }
    const authInfo = authentication.authInfo;
    const problem = req.method === 'POST' ? unsupportedMediaType(header(req, 'content-type')) : undefined;
    if (problem) return refuse(res, 415, -32000, `Unsupported Media Type: ${problem}`);
    let body: Buffer | undefined;
    try {
      body = await readBody(req, res);
    } catch (error) {
      const { status, code, message } = bodyErrorAnswer(error as { type?: string; status?: number });
      if (status === 500) deps.logger.error('HTTP request failed', { path: '/mcp', error: (error as Error).message });
      return jsonRpcError(res, status, code, message);
    }
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
    const info = single ? describe(single, req) : { method: Array.isArray(parsed) ? 'batch' : (req.method ?? 'GET') };
    const { span, ctx } = startMcpServerSpan(info);
    try {
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
      const direct = single && deps.direct?.accept(single, { protocolVersion: header(req, 'mcp-protocol-version'), method: header(req, 'mcp-method'), name: header(req, 'mcp-name') });
      if (direct) {
        const text = await context.with(ctx, () => deps.direct!.answer(direct, authInfo));
        span.setAttribute('http.response.status_code', 200);
        deps.metrics.requests.inc({ method: methodLabel(info.method), status: 'ok' });
        return sendJson(res, 200, text);
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
  };
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    answer(req, res).catch((error) => {
      deps.logger.error('MCP request failed', describeError(error));
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
    });
}

/** A request's body as the raw parser left it (none for a request without one). */
const bodyOf = (req: IncomingMessage) => {
  const body = (req as { body?: unknown }).body;
  return Buffer.isBuffer(body) ? body : undefined;
};

/** Why a request must not be served at all (a Host or Origin it may not come from), or undefined. */
export type RequestGuard = (req: IncomingMessage) => string | undefined;

/** JSON answers for errors express raises itself on the other routes. */
export function jsonErrorHandler(logger: Logger) {
  return (error: { type?: string; status?: number; message?: string }, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, code, message } = bodyErrorAnswer(error);
    if (status === 500) logger.error('HTTP request failed', { path: req.path, error: error.message });
    return jsonRpcError(res, status, code, message);
  };
}
