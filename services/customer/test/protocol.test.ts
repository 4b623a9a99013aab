import * as http from 'node:http';
import { Generation, InProcessService, postRaw, startInProcess } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';
import { CREATE_CUSTOMER, CUSTOMER_TOOLS, GET_CUSTOMER } from '../src/customer.tools';
import type { Customer } from '../src/customer.repository';
import { unique } from './fixtures';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';

type Service = Awaited<ReturnType<typeof createCustomerService>>;

let svc: InProcessService<Service>;

beforeAll(async () => {
  svc = await startInProcess('customer', createCustomerService);
}, 60_000);
afterAll(() => svc?.stop());

describe('clients of every protocol generation', () => {
  it.each<[Generation, string]>([
    ['modern', '2026-07-28 (v2 client)'],
    ['legacy-v2', '2025 handshake (v2 client, legacy mode)'],
    ['v1', '2025-11-25 (v1 @modelcontextprotocol/sdk client)'],
  ])('a %s client — %s — lists and calls tools', async (generation) => {
    const client = await svc.connect(generation);
    expect((await client.listTools()).map((t) => t.name).sort()).toEqual([...CUSTOMER_TOOLS, LIST_AUDIT_EVENTS].sort());

    const created = await client.call<Customer>(CREATE_CUSTOMER, { name: `Gen ${generation}`, email: `gen-${generation}-${unique()}@example.com` });
    expect(created.isError).toBe(false);
    const fetched = await client.call<Customer>(GET_CUSTOMER, { customer_id: created.data.customer_id });
    expect(fetched.data).toEqual(created.data);

    // Tool errors look the same to every generation.
    const missing = await client.call(GET_CUSTOMER, { customer_id: 'cus_doesnotexist0000' });
    expect(missing.isError).toBe(true);
    expect(missing.error?.code).toBe('NOT_FOUND');
  });
});

const INIT_2025 = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function expectJsonRpcError(response: { status: number; contentType: string; text: string }, status: number | [number, number], code?: number) {
  expect(response.contentType).toMatch(/application\/json/);
  expect(response.text).not.toMatch(/<html|<!DOCTYPE|\n\s+at /i);
  if (Array.isArray(status)) {
    expect(response.status).toBeGreaterThanOrEqual(status[0]);
    expect(response.status).toBeLessThan(status[1]);
  } else {
    expect(response.status).toBe(status);
  }
  const body = JSON.parse(response.text);
  expect(body.jsonrpc).toBe('2.0');
  expect(body.error).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body;
}

describe('protocol robustness over raw HTTP', () => {
  it('a well-formed 2025 initialize over raw HTTP works (the baseline for the cases below)', async () => {
    const response = await postRaw(svc.mcpUrl, INIT_2025);
    expect(response.status).toBe(200);
    const text = response.text.includes('data:') ? response.text.split('\n').find((l) => l.startsWith('data:'))!.slice(5) : response.text;
    expect(JSON.parse(text).result.protocolVersion).toEqual(expect.any(String));
  });

  it('answers malformed JSON with 400 and -32700', async () => {
    expectJsonRpcError(await postRaw(svc.mcpUrl, '{"jsonrpc":"2.0","id":1,"method":'), 400, -32700);
    expectJsonRpcError(await postRaw(svc.mcpUrl, 'not json at all'), 400, -32700);
  });

  it('answers an unknown method with 4xx and -32601', async () => {
    const body = expectJsonRpcError(
      await postRaw(svc.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'customers/teleport', params: {} }), { 'mcp-protocol-version': '2025-06-18' }),
      [400, 500],
      -32601,
    );
    expect(body.id).toBe(7);
  });

  it('answers an unknown tool with 4xx and a JSON-RPC error, not a tool result', async () => {
    const response = await postRaw(
      svc.mcpUrl,
      JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'delete_everything', arguments: {} } }),
      { 'mcp-protocol-version': '2025-06-18' },
    );
    const body = expectJsonRpcError(response, [400, 500]);
    expect(body.result).toBeUndefined();
    expect(body.error.message).toMatch(/delete_everything/);
  });

  it('answers a body over 1 MB with 413 and a JSON-RPC error body', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: CREATE_CUSTOMER, arguments: { name: 'x'.repeat(1_100_000), email: 'big@example.com' } } });
    expectJsonRpcError(await postRaw(svc.mcpUrl, big), 413);
  });

  it('refuses deeply nested JSON with 4xx, not 500', async () => {
    const deep = `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"get_customer","arguments":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}}`;
    expectJsonRpcError(await postRaw(svc.mcpUrl, deep), [400, 500]);
  });

  it('answers a JSON-RPC message without a method as an invalid request, 4xx', async () => {
    expectJsonRpcError(await postRaw(svc.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 11 }), { 'mcp-protocol-version': '2025-06-18' }), [400, 500]);
  });

  it('answers a numeric method with 400 and a JSON-RPC -32600 error (regression: was HTTP 500)', async () => {
    const body = expectJsonRpcError(await postRaw(svc.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id: 12, method: 5 }), { 'mcp-protocol-version': '2025-06-18' }), 400, -32600);
    expect(body.id).toBe(12);
    expect(body.error.message).toMatch(/method/);
  });

  it('answers a body declared charset=utf-16 with 415 (regression: was parsed as UTF-8 and answered 200)', async () => {
    const response = await postRaw(svc.mcpUrl, INIT_2025, { 'content-type': 'application/json; charset=utf-16' });
    expectJsonRpcError(response, 415);
    expect(JSON.parse(response.text).error.message).toMatch(/UTF-8/);
  });

  it('answers non-JSON content types with 415 and a JSON-RPC error', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      expectJsonRpcError(await postRaw(svc.mcpUrl, INIT_2025, { 'content-type': type }), 415);
    }
  });

  it('answers invalid UTF-8 bytes with 400 and -32700', async () => {
    const bytes = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
    const response = await fetch(svc.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: bytes });
    expectJsonRpcError({ status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() }, 400, -32700);
  });

  it.each([
    ['wrong jsonrpc version', { jsonrpc: '1.0', id: 1, method: 'tools/list' }],
    ['an object id', { jsonrpc: '2.0', id: {}, method: 'tools/list' }],
    ['a boolean id', { jsonrpc: '2.0', id: true, method: 'tools/list' }],
    ['array params', { jsonrpc: '2.0', id: 1, method: 'tools/list', params: [1] }],
    ['string params', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: 'get_customer' }],
    ['a string _meta', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', _meta: 'x' } }],
    ['an empty batch', []],
    ['a batch of numbers', [1, 2]],
    ['a batch with a numeric method', [{ jsonrpc: '2.0', id: 1, method: 7 }]],
    ['a bare number', 5],
    ['null', null],
  ])('answers a malformed envelope (%s) with a 4xx JSON-RPC error, never 500', async (_what, body) => {
    expectJsonRpcError(await postRaw(svc.mcpUrl, JSON.stringify(body), { 'mcp-protocol-version': '2025-06-18' }), [400, 500]);
  });

  it('answers unknown paths with JSON 404, never HTML', async () => {
    const response = await fetch(`${svc.url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.text()).not.toMatch(/<html/i);
  });

  it('refuses a foreign Host header (DNS-rebinding protection) without HTML', async () => {
    // fetch drops a Host header; node:http sends it as given.
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(svc.mcpUrl);
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(INIT_2025);
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.text).not.toMatch(/<html/i);
  });
});
