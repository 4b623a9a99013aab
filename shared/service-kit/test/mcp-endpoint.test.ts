import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { startInProcess, InProcessService } from '@fedmcp/testing';
import { createMetrics } from '@fedmcp/instrumentation';
import { defineTool, z } from '../src';
import { mcpHandler } from '../src/mcp-http';
import { toolService, ToolService } from './fixtures/tool-service';

// /mcp is answered by one plain node handler, outside express's router
// (http-app.ts). What express gave the route for free must still hold: the
// paths its router matched, bodies its raw parser inflated or refused, and
// the headers its res.send wrote on the SDK's answers.
const createWidget = toolService('widget', [
  defineTool({
    name: 'echo',
    scope: 'widget:read',
    title: 'Echo',
    description: 'Echoes its argument.',
    input: z.object({ tag: z.string().max(40), tags: z.array(z.string()).max(5).optional() }),
    output: z.object({ tag: z.string() }),
    annotations: { readOnlyHint: true },
    handler: async ({ tag }) => ({ tag }),
  }),
]);

let svc: InProcessService<ToolService>;

beforeAll(async () => {
  svc = await startInProcess('widget', createWidget);
}, 60_000);
afterAll(() => svc?.stop());

const LEGACY = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', 'content-type': 'application/json' };
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** node:http, so the path, Host and framing go out exactly as given. */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer, base = svc.url): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const framing = body === undefined || headers['transfer-encoding'] ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...framing }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const listsTools = (answer: Answer) => {
  expect(answer.status).toBe(200);
  expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  expect(answer.text).toContain('"name":"echo"');
};

describe('the /mcp endpoint', () => {
  it('serves the paths express matched: any case, a trailing slash, a query string', async () => {
    for (const path of ['/mcp', '/MCP', '/Mcp/', '/mcp?x=1', '/mcp/?x=1']) listsTools(await send('POST', path, LEGACY, LIST));
  });

  it('leaves other paths to the 404', async () => {
    for (const path of ['//mcp', '/mcp/x', '/mcpx', '/mcp//']) {
      const answer = await send('POST', path, LEGACY, LIST);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(JSON.parse(answer.text).error.code).toBe('NOT_FOUND');
    }
  });

  it('reads chunked bodies and inflates gzip and deflate ones', async () => {
    listsTools(await send('POST', '/mcp', { ...LEGACY, 'transfer-encoding': 'chunked' }, LIST));
    listsTools(await send('POST', '/mcp', { ...LEGACY, 'content-encoding': 'gzip' }, zlib.gzipSync(LIST)));
    listsTools(await send('POST', '/mcp', { ...LEGACY, 'content-encoding': 'deflate' }, zlib.deflateSync(LIST)));
  });

  it('refuses an unknown content encoding with 415 and a corrupt one with 400, as JSON-RPC errors', async () => {
    const unknown = await send('POST', '/mcp', { ...LEGACY, 'content-encoding': 'bogus' }, LIST);
    expect(unknown.status).toBe(415);
    expect(JSON.parse(unknown.text)).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid request' }, id: null });
    const corrupt = await send('POST', '/mcp', { ...LEGACY, 'content-encoding': 'gzip' }, 'not gzip');
    expect(corrupt.status).toBe(400);
    expect(JSON.parse(corrupt.text).error.code).toBe(-32600);
  });

  it('refuses a body over the limit once it is inflated', async () => {
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'a'.repeat(2 * 1024 * 1024) } });
    const answer = await send('POST', '/mcp', { ...LEGACY, 'content-encoding': 'gzip' }, zlib.gzipSync(huge));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error).toEqual({ code: -32600, message: 'Request body exceeds the 1 MB limit' });
  });

  it("writes the SDK's answers with the headers express wrote: a charset, a length, the SDK's own headers", async () => {
    const accepted = await send('POST', '/mcp', LEGACY, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe('');
    expect(accepted.headers['content-length']).toBe('0');

    for (const method of ['DELETE', 'PUT', 'OPTIONS']) {
      const answer = await send(method, '/mcp', LEGACY, method === 'PUT' ? '{}' : undefined);
      expect({ method, status: answer.status, allow: answer.headers.allow, type: answer.headers['content-type'] }).toEqual({ method, status: 405, allow: 'POST', type: 'application/json; charset=utf-8' });
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
      expect(JSON.parse(answer.text).error.message).toBe('Method not allowed.');
    }
    const head = await send('HEAD', '/mcp', LEGACY);
    expect(head.status).toBe(405);
    expect(head.text).toBe('');
  });

  it('refuses a foreign Host or Origin with the SDK middlewares\' 403 before anything else', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ host: 'evil.example' }, 'Invalid Host: evil.example'],
      [{ origin: 'http://evil.example' }, 'Invalid Origin: evil.example'],
    ];
    for (const [headers, message] of cases) {
      const answer = await send('POST', '/mcp', { ...LEGACY, ...headers }, LIST);
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(answer.text)).toEqual({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
    }
  });

  it('answers 500 with a JSON-RPC error, and logs it, when the gate itself throws', async () => {
    const logged: string[] = [];
    const handler = mcpHandler({
      handler: { fetch: () => Promise.reject(new Error('the SDK must not be reached')) } as never,
      gate: { authenticate: () => Promise.reject(new Error('key store exploded')), authorize: () => undefined },
      metrics: createMetrics({ service: 'widget', defaultMetrics: false }),
      // Only `error` is reached on this path.
      logger: { error: (message: string) => void logged.push(message) } as never,
    });
    const server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await send('POST', '/mcp', LEGACY, LIST, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      expect(answer.status).toBe(500);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(answer.text)).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
      expect(answer.text).not.toContain('exploded');
      expect(logged).toEqual(['MCP request failed']);
    } finally {
      server.close();
    }
  });

  it('refuses as VALIDATION_ERROR, not INTERNAL, a value zod cannot examine (an object whose length has its own toString)', async () => {
    const unexaminable = { length: { toString: 1, valueOf: 1 } };
    for (const args of [{ tag: unexaminable }, { tag: 'ok', tags: unexaminable }]) {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'echo', arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } },
      });
      const answer = await send('POST', '/mcp', { ...LEGACY, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, body);
      expect(answer.status).toBe(200);
      const result = JSON.parse(answer.text).result;
      expect(result.isError).toBe(true);
      expect(result.structuredContent.error.code).toBe('VALIDATION_ERROR');
    }
  });
});
