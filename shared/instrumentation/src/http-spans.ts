import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { tracer } from './mcp-spans';

export interface HttpServerSpanOptions {
  /** The route template of a path (`/mcp`), when it has one: the span is then named `POST /mcp`. */
  route?: (path: string) => string | undefined;
}

/** Probes and scrapes get no span: noise in traces. */
const PROBES = /^\/(?:health|ready|metrics)\b/;

/** A request URL's path without its query string. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

/**
 * The HTTP SERVER span of every request a server answers, as a
 * `(req, res, next)` step run before anything else (the kit's request
 * listener runs it; it also fits as express middleware). The HTTP
 * auto-instrumentation is not used (see `sdk.ts`): its server span was a
 * quarter of the CPU of a cached read, most of it spent binding every
 * listener of the request and response to the span's context and computing
 * attributes nobody reads. This span carries the stable HTTP semantic
 * conventions (`http.request.method`, `url.path`, `http.route`,
 * `http.response.status_code`, `server.port`, `network.protocol.version`),
 * continues a `traceparent` header, and ends when the response is closed.
 *
 * The handlers after it run in its context. A step that resumes from a
 * stream event runs in whatever context the socket had, unless it binds its
 * callback (raw-body, under express's body parsers, does: an AsyncResource)
 * or awaits a promise (an async function resumes in its own context).
 */
export function httpServerSpans(options: HttpServerSpanOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = pathOf(req.url);
    if (PROBES.test(path)) return next();
    const method = req.method ?? 'GET';
    const route = options.route?.(path);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      route ? `${method} ${route}` : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.scheme': 'http',
          'url.path': path,
          ...(route ? { 'http.route': route } : {}),
          'network.protocol.version': req.httpVersion,
          ...(req.socket.localPort ? { 'server.port': req.socket.localPort } : {}),
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    res.once('close', () => {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      // A response that never finished (the client went away) is not the server's error.
      if (!res.writableFinished) span.setAttribute('error.type', 'aborted');
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(ctx, next);
  };
}

/**
 * Writes the active context's `traceparent`/`tracestate` into the headers of
 * an outgoing request. Services call each other through the kit's
 * `keepAliveFetch`, which does this instead of an HTTP CLIENT span: the MCP
 * CLIENT span around the call already names the peer and times the call.
 */
export function injectTraceHeaders(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}
