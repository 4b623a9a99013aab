/**
 * A tiny stand-in for a domain service: a real HTTP server on 127.0.0.1 with
 * /health, /ready and a real MCP endpoint (the v2 SDK's McpServer behind
 * createMcpHandler, stateless, one server instance per request).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';

export interface FakeServiceOptions {
  tools?: string[];
  /** Body and status of /ready. */
  ready?: { status: number; body: unknown };
  /** /health status (default 200). */
  healthStatus?: number;
  /** Delay every response by this many ms (to test timeouts). */
  delayMs?: number;
}

export interface FakeService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startFakeService(opts: FakeServiceOptions = {}): Promise<FakeService> {
  const tools = opts.tools ?? ['get_thing', 'search_things'];
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'fake-service', version: '0.0.1' });
    for (const name of tools) {
      server.registerTool(name, { description: `fake ${name}` }, async () => ({
        content: [{ type: 'text', text: 'ok' }],
      }));
    }
    return server;
  });
  const ready = opts.ready ?? { status: 200, body: { status: 'ready', checks: { database: 'ok', cache: 'ok' } } };

  const server = http.createServer((req, res) => {
    void (async () => {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/health') {
        return json(opts.healthStatus ?? 200, { status: (opts.healthStatus ?? 200) === 200 ? 'ok' : 'error' });
      }
      if (req.method === 'GET' && url.pathname === '/ready') return json(ready.status, ready.body);
      if (url.pathname === '/mcp') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        }
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          headers,
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
        });
        const response = await handler.fetch(request);
        const out: Record<string, string> = {};
        response.headers.forEach((v, k) => (out[k] = v));
        res.writeHead(response.status, out);
        res.end(Buffer.from(await response.arrayBuffer()));
        return;
      }
      json(404, { error: 'not found' });
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

/** A port on 127.0.0.1 with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
