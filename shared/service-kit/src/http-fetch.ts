import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { injectTraceHeaders } from '@fedmcp/instrumentation';

/** Statuses whose Response must not have a body. */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export interface KeepAliveFetchOptions {
  /**
   * Sockets per upstream host at most. Default: no limit, as undici's fetch.
   * A limit queues requests before they are sent, and that wait counts
   * against the caller's per-attempt timeout: with 64 sockets, create_order
   * at 64 clients timed out payment calls in the queue and opened the circuit.
   */
  maxSockets?: number;
  /**
   * An idle kept-alive socket is closed after this long, or a second before
   * the server's `Keep-Alive: timeout=N` hint if that is sooner. Default 4 s,
   * under node's default server keep-alive timeout (5 s). Without it the
   * agent keeps idle sockets until the server closes them, and a request sent
   * as the server closes fails with "socket hang up" (node's agent honours
   * the hint only when a timeout is set). Requests in flight are not timed
   * out by it: their deadline is the caller's abort signal.
   */
  idleSocketTimeoutMs?: number;
}

const DEFAULT_IDLE_SOCKET_TIMEOUT_MS = 4000;

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('keepAliveFetch sends string or byte bodies only');
}

/**
 * A `Response` whose body was read into one buffer: `text()`, `json()`,
 * `arrayBuffer()` and `blob()` read the buffer directly instead of through undici's body
 * machinery (web stream, body extraction, consume): in the order service
 * that machinery cost ~5% of its CPU at create_order c16, for answers of a
 * few hundred bytes. `body` is still a stream, made when first asked for.
 */
class BufferedResponse extends Response {
  #bytes: Buffer | null;
  #used = false;
  #stream: Response['body'] | undefined;
  readonly #init: ResponseInit;

  constructor(bytes: Buffer | null, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
    this.#init = init;
  }

  override get body(): Response['body'] {
    if (this.#stream === undefined) this.#stream = this.#bytes === null ? null : new Response(new Uint8Array(this.#bytes)).body;
    return this.#stream;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }

  #take(): Buffer {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#bytes ?? Buffer.alloc(0);
  }

  override async text(): Promise<string> {
    return this.#take().toString('utf8');
  }

  override async json(): Promise<unknown> {
    return JSON.parse(this.#take().toString('utf8'));
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  override async blob(): Promise<Blob> {
    return new Blob([new Uint8Array(this.#take())], { type: this.headers.get('content-type') ?? '' });
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.#bytes, this.#init);
  }
}

function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}

/**
 * A `fetch` for service-to-service calls over node:http with keep-alive
 * agents. Why not the global fetch: for the order service's upstream MCP
 * calls, undici's fetch (its Request/Response objects, web streams, abort
 * plumbing and wasm HTTP parser) was the largest single cost in the profile,
 * more than the MCP client itself. This one reads a JSON answer into one
 * buffer and hands the SDK a real `Response`; an event stream is passed
 * through as a stream. Redirects are never followed (as `redirect: 'manual'`,
 * which is what the SDK's transport asks for); the abort signal ends the
 * request and rejects with the signal's reason. The active trace context
 * goes out in `traceparent`/`tracestate` headers; the request has no span of
 * its own (the caller's MCP CLIENT span is the call's span).
 */
export function keepAliveFetch(options: KeepAliveFetchOptions = {}): typeof fetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Infinity, scheduling: 'lifo' as const, timeout: options.idleSocketTimeoutMs ?? DEFAULT_IDLE_SOCKET_TIMEOUT_MS };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  const send = (url: URL, init?: RequestInit): Promise<Response> => {
    const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
    if (!agent) return Promise.reject(new TypeError(`keepAliveFetch cannot fetch ${url.protocol} URLs`));
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let body: string | Uint8Array | undefined;
    try {
      body = bodyOf(init?.body);
    } catch (error) {
      return Promise.reject(error);
    }
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
    injectTraceHeaders(headers);
    if (body !== undefined) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    const method = (init?.method ?? 'GET').toUpperCase();
    const request = (url.protocol === 'https:' ? https : http).request;

    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        req.destroy();
        if (!settled) {
          settled = true;
          reject(signal!.reason);
        }
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const fail = (error: Error) => {
        done();
        if (settled) return;
        settled = true;
        reject(new TypeError('fetch failed', { cause: error }));
      };
      const req = request(url, { method, headers, agent }, (res) => {
        const status = res.statusCode ?? 0;
        const init = { status, statusText: res.statusMessage ?? '', headers: headersOf(res.rawHeaders) };
        if (/^text\/event-stream/i.test(res.headers['content-type'] ?? '')) {
          // A stream: handed over as it comes; the signal still ends it.
          settled = true;
          res.once('close', done);
          resolve(new Response(Readable.toWeb(res) as ReadableStream, init));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          done();
          if (settled) return;
          settled = true;
          resolve(new BufferedResponse(NULL_BODY_STATUS.has(status) || method === 'HEAD' ? null : Buffer.concat(chunks), init));
        });
      });
      req.once('error', fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  };

  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (!(input instanceof Request)) return send(typeof input === 'string' ? new URL(input) : input, init);
    // A Request object (not what the SDK sends): its parts, overridden by init.
    const body = input.body ? new Uint8Array(await input.arrayBuffer()) : undefined;
    return send(new URL(input.url), { method: input.method, headers: input.headers, body, signal: input.signal, ...init });
  };
}
