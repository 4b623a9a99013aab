import * as http from 'node:http';

/** One span as received over OTLP/HTTP JSON, flattened with its service name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function value(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue ?? '';
}

function attrs(list: { key: string; value: OtlpValue }[] = []) {
  return Object.fromEntries(list.map((a) => [a.key, value(a.value)]));
}

/**
 * A minimal OTLP/HTTP (JSON) trace receiver for tests: point services at it
 * with OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
 * With `keep: false` it accepts any protocol (protobuf too) and only counts
 * exports and bytes, so a benchmark can export for minutes without keeping spans.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every export request body as received (attributes, events and status included), for grepping. */
  readonly raw: string[] = [];
  /** Export requests and body bytes received so far. */
  readonly received = { exports: 0, bytes: 0 };
  private server?: http.Server;
  endpoint = '';

  /** `keep: false` accepts and drops every export (long runs that only need an exporting service). */
  constructor(private readonly options: { keep?: boolean } = {}) {}

  /**
   * Listens on an ephemeral loopback port by default; the compose test runs it
   * as the stack's collector (`{ host: '0.0.0.0', port: 4318 }`).
   */
  async start(listen: { host?: string; port?: number } = {}): Promise<this> {
    const host = listen.host ?? '127.0.0.1';
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      const keep = this.options.keep !== false;
      req.on('data', (c: Buffer) => {
        this.received.bytes += c.length;
        if (keep) chunks.push(c);
      });
      req.on('end', () => {
        this.received.exports++;
        if (keep && req.url?.startsWith('/v1/traces')) {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            this.raw.push(text);
            this.ingest(JSON.parse(text));
          } catch {
            res.writeHead(400).end();
            return;
          }
        }
        // An empty 200 is a full success for both OTLP encodings.
        if (keep) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(listen.port ?? 0, host, resolve));
    this.endpoint = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(this.server!.address() as { port: number }).port}`;
    return this;
  }

  private ingest(body: { resourceSpans?: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }) {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attrs(rs.resource?.attributes)['service.name'] ?? 'unknown');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service,
            traceId: String(s.traceId),
            spanId: String(s.spanId),
            parentSpanId: s.parentSpanId ? String(s.parentSpanId) : undefined,
            name: String(s.name),
            kind: Number(s.kind),
            attributes: attrs(s.attributes as never),
            links: ((s.links as { traceId: string; spanId: string }[]) ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
            status: s.status as ReceivedSpan['status'],
          });
        }
      }
    }
  }

  /** Waits until `predicate` holds over the received spans (exports are batched). */
  async waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(this.spans)) return this.spans;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`spans did not arrive in time; have: ${this.spans.map((s) => `${s.service}:${s.name}`).join(', ')}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** The chain of parents of `span` within its trace, nearest first. */
export function ancestorsOf(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(spans.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  let current = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
  while (current && chain.length < 100) {
    chain.push(current);
    current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined;
  }
  return chain;
}
