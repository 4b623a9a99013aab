import fc from 'fast-check';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startProtectedInProcess, startTestIssuer, ProtectedService, TestIssuer } from '@fedmcp/testing';
import { defineTool, z, ToolError, ON_BEHALF_OF_META } from '../src';
import { toolService, ToolService } from './fixtures/tool-service';
import * as direct from '../src/mcp-direct';

// Plain 2026-07-28 tool calls are answered without the SDK's exchange
// (mcp-direct.ts). The answer must be the SDK's, byte for byte: the same
// requests, canonical and mutated, go to a server with the direct path and to
// one without it (MCP_DIRECT_TOOL_CALLS=false), and the answers are compared.
const createWidget = toolService('widget', [
  defineTool({
    name: 'echo',
    scope: 'widget:read',
    title: 'Echo',
    description: 'Echoes its arguments and the caller.',
    input: z.object({ tag: z.string(), n: z.number().int().optional() }),
    output: z.object({ tag: z.string(), n: z.number().nullable(), sub: z.string(), on_behalf_of: z.string().nullable() }),
    annotations: { readOnlyHint: true },
    handler: async ({ tag, n }, ctx) => ({ tag, n: n ?? null, sub: ctx.principal.sub, on_behalf_of: ctx.onBehalfOf?.sub ?? null }),
  }),
  defineTool({
    name: 'missing',
    scope: 'widget:read',
    title: 'Missing',
    description: 'Always answers NOT_FOUND.',
    input: z.object({}),
    output: z.object({}),
    annotations: { readOnlyHint: true },
    handler: async () => {
      throw new ToolError('NOT_FOUND', 'there is nothing here');
    },
  }),
]);

let issuer: TestIssuer;
let withDirect: ProtectedService<ToolService>;
let sdkOnly: ProtectedService<ToolService>;

beforeAll(async () => {
  issuer = await startTestIssuer();
  withDirect = await startProtectedInProcess('widget', createWidget, issuer);
  sdkOnly = await startProtectedInProcess('widget', createWidget, issuer, { MCP_DIRECT_TOOL_CALLS: 'false' });
}, 120_000);

afterAll(async () => {
  await withDirect?.stop();
  await sdkOnly?.stop();
  await issuer?.stop();
});

const tokenFor = (svc: ProtectedService<ToolService>) => issuer.accessToken(svc.mcpUrl, ['widget:read'], { sub: 'user-1', client_id: 'client-1' });

async function post(svc: ProtectedService<ToolService>, body: string, headers: Record<string, string>) {
  const response = await fetch(svc.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(svc)}`, ...headers }, body });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

/** The same request to both servers: the answers must not differ in any byte. */
async function bothAnswer(body: string, headers: Record<string, string>) {
  const [fast, sdk] = await Promise.all([post(withDirect, body, headers), post(sdkOnly, body, headers)]);
  expect(fast).toEqual(sdk);
  return fast;
}

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const STANDARD_HEADERS = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
const canonical = (args: unknown, meta: Record<string, unknown> = ENVELOPE, name = 'echo') => JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args, _meta: meta } });

describe('direct modern tool calls', () => {
  it('take the request the SDK client sends, and answer it as the SDK does', async () => {
    const accepted = jest.spyOn(direct, 'directToolCall');
    const sent: { body: string; headers: Record<string, string> }[] = [];
    const capture = async (url: string | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${tokenFor(withDirect)}`);
      if (typeof init?.body === 'string' && init.body.includes('tools/call')) {
        const copy: Record<string, string> = {};
        headers.forEach((value, key) => (copy[key] = value));
        sent.push({ body: init.body, headers: copy });
      }
      return fetch(url, { ...init, headers });
    };
    const client = new Client({ name: 'direct-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(withDirect.mcpUrl), { fetch: capture as never }) as never);
    try {
      const result = (await client.callTool({ name: 'echo', arguments: { tag: 'x', n: 2 }, _meta: { [ON_BEHALF_OF_META]: { sub: 'obo-1', client_id: 'c' } } })) as { structuredContent: unknown };
      expect(result.structuredContent).toEqual({ tag: 'x', n: 2, sub: 'user-1', on_behalf_of: 'obo-1' });
    } finally {
      await client.close();
    }
    // The server took the direct path for the client's call...
    expect(accepted.mock.results.some((r) => r.value !== undefined)).toBe(true);
    accepted.mockRestore();
    // ...and the SDK answers the very same request with the same bytes.
    expect(sent).toHaveLength(1);
    const { authorization: _, ...headers } = sent[0].headers;
    const answer = await bothAnswer(sent[0].body, headers);
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a result', canonical({ tag: 'a' })],
    ['a result without arguments (VALIDATION_ERROR)', JSON.stringify({ jsonrpc: '2.0', id: 'x-1', method: 'tools/call', params: { name: 'echo', _meta: ENVELOPE } })],
    ['invalid arguments (VALIDATION_ERROR)', canonical({ tag: 5, extra: [1, 2] })],
    ['unicode and escapes', canonical({ tag: 'ä\u2028"\\</script>😀' })],
    ['a tool error', canonical({}, ENVELOPE, 'missing')],
    ['an on-behalf-of principal', canonical({ tag: 'b' }, { ...ENVELOPE, [ON_BEHALF_OF_META]: { sub: 'obo-2', client_id: 'c' } })],
  ])('answer %s exactly as the SDK does', async (_, body) => {
    const name = (JSON.parse(body) as { params: { name: string } }).params.name;
    expect(direct.directToolCall(JSON.parse(body), { protocolVersion: '2026-07-28', method: 'tools/call', name }, () => true)).toBeDefined();
    await bothAnswer(body, { ...STANDARD_HEADERS, 'mcp-name': name });
  });

  it('leave every other request to the SDK, so that any request gets the SDK answer', async () => {
    const absent = undefined;
    // Each field is mostly what a client sends, so that many requests take the direct path and many differ from it by one field.
    const mostly = <T>(usual: T, ...others: T[]) => fc.oneof({ weight: 10, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });
    const request = fc.record({
      version: mostly<string | undefined>('2026-07-28', absent, '2025-11-25', ' 2026-07-28\t', '2026-07-29'),
      method: mostly<string | undefined>('tools/call', absent, 'tools/list', ' tools/call'),
      nameHeader: mostly<string | undefined>('same', absent, 'other', 'spaced', 'base64', 'upper'),
      jsonrpc: mostly<string | undefined>('2.0', '1.0', absent),
      id: mostly<unknown>(7, 'abc', null, absent, {}, 1.5),
      name: mostly<unknown>('echo', 'missing', 'nope', 5, 'constructor'),
      args: mostly<unknown>({ tag: 'x' }, absent, { tag: 1 }, [], null, 'x', { tag: 'x', n: 3 }, {}),
      extraParam: mostly<Record<string, unknown>>({}, { task: {} }, { foo: 1 }),
      metaKind: mostly('object', 'absent', 'null', 'array'),
      protocolVersion: mostly<unknown>('2026-07-28', absent, '2025-06-18', 5, '2026-07-29'),
      clientInfo: mostly<unknown>({ name: 't', version: '1' }, absent, { name: 1 }, 'x', { name: 't', version: '1', title: 'T' }),
      capabilities: mostly<unknown>({}, absent, { roots: { listChanged: true } }, { roots: { listChanged: 'x' } }, { sampling: 5 }, null, [], { experimental: { a: {} } }),
      progressToken: mostly<unknown>(absent, 1, 'p', {}, null),
      logLevel: mostly<unknown>(absent, 'debug', 'loud'),
      onBehalfOf: mostly<unknown>(absent, { sub: 'obo', client_id: 'x' }, 'bad'),
      unknownKey: mostly<unknown>(absent, 1),
    });
    let directCount = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const meta: Record<string, unknown> = {
          'io.modelcontextprotocol/protocolVersion': r.protocolVersion,
          'io.modelcontextprotocol/clientInfo': r.clientInfo,
          'io.modelcontextprotocol/clientCapabilities': r.capabilities,
          'io.modelcontextprotocol/logLevel': r.logLevel,
          'io.modelcontextprotocol/unknown': r.unknownKey,
          progressToken: r.progressToken,
          [ON_BEHALF_OF_META]: r.onBehalfOf,
        };
        const params = { name: r.name, arguments: r.args, ...r.extraParam, _meta: { object: meta, absent, null: null, array: [meta] }[r.metaKind] };
        const body = JSON.stringify({ jsonrpc: r.jsonrpc, id: r.id, method: 'tools/call', params });
        const name = typeof r.name === 'string' ? r.name : 'echo';
        const nameHeader = { same: name, other: 'other', spaced: ` ${name}\t`, base64: `=?base64?${Buffer.from(name).toString('base64')}?=`, upper: name.toUpperCase(), undefined: absent }[String(r.nameHeader)];
        const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
        if (r.version !== undefined) headers['mcp-protocol-version'] = r.version;
        if (r.method !== undefined) headers['mcp-method'] = r.method;
        if (nameHeader !== undefined) headers['mcp-name'] = nameHeader;
        const takesDirect = direct.directToolCall(JSON.parse(body), { protocolVersion: headers['mcp-protocol-version'], method: headers['mcp-method'], name: headers['mcp-name'] }, (n) => n === 'echo' || n === 'missing');
        if (takesDirect) directCount++;
        await bothAnswer(body, headers);
      }),
      { numRuns: 300, seed: 20261203 },
    );
    // The mutations must have exercised both paths.
    expect(directCount).toBeGreaterThan(20);
    expect(directCount).toBeLessThan(280);
  }, 120_000);
});
