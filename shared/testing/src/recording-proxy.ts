import * as http from 'node:http';

/** One HTTP request that went through a RecordingProxy. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/mcp`. */
  path: string;
  /** The bearer token sent, if any (the part after `Bearer `). */
  bearer: string | undefined;
  /** The whole Authorization header, if any. */
  authorization: string | undefined;
  /** Every request header as received. */
  headers: http.IncomingHttpHeaders;
  /** The JSON-RPC message of a POST (undefined when the body is not JSON). */
  message: { method?: string; params?: { name?: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> } } | undefined;
  /** The raw request body. */
  body: string;
}

/**
 * A loopback HTTP proxy in front of one server that forwards every request
 * unchanged (headers, body, streamed responses) and records what it saw, so
 * a test can check what a service really sent to another: tokens, audiences,
 * `_meta`. Point a caller at `rewrite(url)` instead of the server's URL.
 */
export class RecordingProxy {
  /** Every request so far, oldest first (clear it with `records.length = 0`). */
  readonly records: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private readonly target: URL;
  port = 0;

  constructor(targetUrl: string) {
    this.target = new URL(targetUrl);
  }

  /** `url` with its origin swapped for the proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  /** The recorded JSON-RPC `tools/call` requests (optionally of one tool). */
  toolCalls(tool?: string): RecordedRequest[] {
    return this.records.filter((r) => r.message?.method === 'tools/call' && (tool === undefined || r.message.params?.name === tool));
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let message: RecordedRequest['message'];
        try {
          message = text ? (JSON.parse(text) as RecordedRequest['message']) : undefined;
        } catch {
          message = undefined;
        }
        const authorization = req.headers.authorization;
        this.records.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, authorization, bearer: /^Bearer (.+)$/i.exec(authorization ?? '')?.[1], message, body: text });
        const upstream = http.request(
          { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: { ...req.headers, host: this.target.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** Decodes a JWT's payload without verifying it (for assertions on what was sent). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
