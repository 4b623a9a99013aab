/**
 * The resource-server contract every platform server must meet (SPEC,
 * Security), written once and run from each service's own test suite against
 * that service started with AUTH_ISSUER set: the same requests, the same
 * expected answers, for all four.
 */
import type * as JestGlobals from '@jest/globals';
import type { TestIssuer } from './test-issuer';

export const PROTOCOL_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

export interface RpcAnswer {
  status: number;
  headers: Headers;
  /** The JSON-RPC message (from a JSON or single-event SSE body). */
  body: { jsonrpc?: string; id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };
  text: string;
}

let nextId = 1;

/** One raw JSON-RPC request to `mcpUrl`, with `token` as Bearer when given (or a full Authorization value). */
export async function rawRpc(mcpUrl: string, method: string, params: Record<string, unknown>, auth?: { token?: string; authorization?: string }): Promise<RpcAnswer> {
  const headers: Record<string, string> = { ...PROTOCOL_HEADERS };
  if (auth?.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth?.authorization) headers.authorization = auth.authorization;
  const response = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  const text = await response.text();
  const data = text.startsWith('{') ? text : (text.split('\n').find((l) => l.startsWith('data:'))?.slice(5) ?? '{}');
  return { status: response.status, headers: response.headers, body: JSON.parse(data), text };
}

/** The RFC 9728 metadata URL of an MCP endpoint (path-aware form). */
export function protectedResourceMetadataUrl(mcpUrl: string): string {
  const url = new URL(mcpUrl);
  return `${url.origin}/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`;
}

export interface ResourceContract {
  /** The service's MCP URL, also its PUBLIC_URL (the audience its tokens carry). */
  mcpUrl: string;
  /** The issuer the service trusts (AUTH_ISSUER). */
  issuer: TestIssuer;
  /** The service's read scope (`customer:read`). */
  readScope: string;
  /** Another server's canonical URL: a token for it must not work here. */
  otherAudience: string;
  /** A call that changes data, the scope it needs, and what must stay the same when it is refused. */
  write: { tool: string; scope: string; args: () => Record<string, unknown>; snapshot: () => Promise<unknown>; expectChange?: boolean };
}

/** Calls a tool with a fresh token for `scopes` and returns its structuredContent (throws on any refusal or tool error). */
export async function callAs<T = Record<string, unknown>>(mcpUrl: string, issuer: TestIssuer, scopes: string[], tool: string, args: Record<string, unknown> = {}): Promise<T> {
  const answer = await rawRpc(mcpUrl, 'tools/call', { name: tool, arguments: args }, { token: issuer.accessToken(mcpUrl, scopes) });
  if (answer.status !== 200 || !answer.body.result || answer.body.result.isError) throw new Error(`${tool} failed (HTTP ${answer.status}): ${answer.text.slice(0, 300)}`);
  return answer.body.result.structuredContent as T;
}

/**
 * Registers the contract's tests in the current `describe`; `get` is called
 * inside each test (after the caller's beforeAll started everything).
 */
export function resourceServerContract(get: () => ResourceContract): void {
  // The jest globals of the calling test file (this module is also loaded outside jest).
  const { expect, it } = globalThis as unknown as typeof JestGlobals;
  const prm = () => protectedResourceMetadataUrl(get().mcpUrl);
  const expect401 = (answer: RpcAnswer, tokenSent: boolean) => {
    const { readScope } = get();
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const header = tokenSent ? `Bearer error="invalid_token", resource_metadata="${prm()}", scope="${readScope}"` : `Bearer resource_metadata="${prm()}", scope="${readScope}"`;
    expect(answer.headers.get('www-authenticate')).toBe(header);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number), message: expect.stringMatching(/^UNAUTHORIZED: /) } });
    expect(answer.body.id).not.toBeUndefined();
    return answer.body.error!.message;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const listWith = (token: string) => rawRpc(get().mcpUrl, 'tools/list', {}, { token });

  it('refuses a request without a token: 401 with the discovery challenge and a JSON-RPC error body', async () => {
    const message = expect401(await rawRpc(get().mcpUrl, 'tools/list', {}), false);
    expect(message).toMatch(/access token/);
  });

  it('refuses a caller without a valid token before reading the body: 401 whatever the body or its media type', async () => {
    const { mcpUrl, issuer, readScope } = get();
    const post = async (body: string, contentType: string, authorization?: string): Promise<RpcAnswer> => {
      const response = await fetch(mcpUrl, { method: 'POST', headers: { ...PROTOCOL_HEADERS, 'content-type': contentType, ...(authorization ? { authorization } : {}) }, body });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
    };
    // From a caller with a token these are 400, 415, 400 and 413: an anonymous caller cannot make the server parse them.
    const bodies: [string, string][] = [
      ['{"jsonrpc": "2.0", "id": 1, "method": ', 'application/json'],
      ['{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}', 'text/plain'],
      [`${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json'],
      [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { pad: 'x'.repeat(2 * 1024 * 1024) } } }), 'application/json'],
    ];
    for (const [body, type] of bodies) {
      expect(expect401(await post(body, type), false)).toMatch(/access token/);
      expect401(await post(body, type, 'Bearer not-a-jwt'), true);
    }
    // Authentication first, then the body: the same broken body with a token is the parse error.
    const token = issuer.accessToken(mcpUrl, [readScope]);
    expect((await post(bodies[0][0], 'application/json', `Bearer ${token}`)).status).toBe(400);
    expect((await post(bodies[1][0], 'text/plain', `Bearer ${token}`)).status).toBe(415);
    expect((await rawRpc(mcpUrl, 'tools/list', {}, { token })).status).toBe(200);
  });

  it('refuses garbage, a non-Bearer scheme and a token with a broken signature (401 invalid_token, token never echoed)', async () => {
    const { mcpUrl, issuer, readScope } = get();
    expect(expect401(await rawRpc(mcpUrl, 'tools/list', {}, { token: 'not-a-jwt' }), true)).not.toContain('not-a-jwt');
    expect401(await rawRpc(mcpUrl, 'tools/list', {}, { authorization: 'Basic dXNlcjpwYXNz' }), true);
    const good = issuer.accessToken(mcpUrl, [readScope]);
    const [head, payload, signature] = good.split('.');
    const tampered = `${head}.${payload}.${signature.slice(0, -6)}${signature.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    expect(expect401(await listWith(tampered), true)).toMatch(/signature/);
    const forged = issuer.sign({ iss: issuer.issuer, aud: mcpUrl, sub: 'mallory', client_id: 'mallory', scope: readScope, exp: now() + 600 }, { unpublishedKey: true });
    const message = expect401(await listWith(forged), true);
    expect(message).not.toContain(forged);
  });

  it('refuses a token from another issuer, for another audience, expired, not yet valid, or an ID token', async () => {
    const { mcpUrl, issuer, readScope, otherAudience } = get();
    expect(expect401(await listWith(issuer.accessToken(mcpUrl, [readScope], { iss: 'http://127.0.0.1:9/elsewhere' })), true)).toMatch(/another authorization server/);
    expect(expect401(await listWith(issuer.accessToken(otherAudience, [readScope])), true)).toMatch(/another resource/);
    expect(expect401(await listWith(issuer.accessToken(mcpUrl, [readScope], { iat: now() - 700, exp: now() - 30 })), true)).toMatch(/expired/);
    expect(expect401(await listWith(issuer.accessToken(mcpUrl, [readScope], { nbf: now() + 120 })), true)).toMatch(/not valid yet/);
    const idToken = issuer.sign({ iss: issuer.issuer, sub: 'test-user', aud: mcpUrl, exp: now() + 600, iat: now(), nonce: 'n' }, { typ: 'JWT' });
    expect(expect401(await listWith(idToken), true)).toMatch(/not an access token/);
  });

  it('allows at most 5 s of clock skew on exp', async () => {
    const { mcpUrl, issuer, readScope } = get();
    expect((await listWith(issuer.accessToken(mcpUrl, [readScope], { exp: now() - 2 }))).status).toBe(200);
    expect401(await listWith(issuer.accessToken(mcpUrl, [readScope], { exp: now() - 8 })), true);
  });

  it('verifies with cached keys (no key fetch per request) and accepts a rotated key without restart', async () => {
    const { mcpUrl, issuer, readScope } = get();
    expect((await listWith(issuer.accessToken(mcpUrl, [readScope]))).status).toBe(200);
    const fetches = issuer.jwksFetches();
    for (let i = 0; i < 5; i++) expect((await listWith(issuer.accessToken(mcpUrl, [readScope]))).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(fetches);
    issuer.rotate();
    // A token signed by the new key has an unknown kid: the server fetches the keys again and accepts it, first time.
    expect((await listWith(issuer.accessToken(mcpUrl, [readScope]))).status).toBe(200);
    expect(issuer.jwksFetches()).toBeGreaterThan(fetches);
    // Rotated again right after that fetch (within the refetch cooldown): still accepted, the server waits the cooldown out.
    issuer.rotate();
    expect((await listWith(issuer.accessToken(mcpUrl, [readScope]))).status).toBe(200);
  });

  it('lists tools with the read scope, each naming the scope it needs', async () => {
    const { mcpUrl, issuer, readScope, write } = get();
    const answer = await listWith(issuer.accessToken(mcpUrl, [readScope]));
    expect(answer.status).toBe(200);
    const tools = (answer.body.result?.tools ?? []) as { name: string; description: string }[];
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) expect(tool.description).toMatch(/Requires the OAuth scope "[a-z]+:[a-z]+"/);
    expect(tools.find((t) => t.name === write.tool)?.description).toContain(`"${write.scope}"`);
  });

  it('answers 403 insufficient_scope naming the scope, before the tool runs: nothing changes', async () => {
    const { mcpUrl, issuer, readScope, write } = get();
    const before = await write.snapshot();
    const answer = await rawRpc(mcpUrl, 'tools/call', { name: write.tool, arguments: write.args() }, { token: issuer.accessToken(mcpUrl, [readScope]) });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${write.scope}", resource_metadata="${prm()}"`);
    expect(answer.body).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining(`"${write.scope}"`) } });
    expect(answer.body.error!.message).toMatch(/^FORBIDDEN: /);
    expect(await write.snapshot()).toEqual(before);
    // tools/list needs the read scope: a token with only the write scope is refused too.
    const listed = await listWith(issuer.accessToken(mcpUrl, [write.scope]));
    expect(listed.status).toBe(403);
    expect(listed.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${readScope}", resource_metadata="${prm()}"`);
  });

  it('runs the tool with the right scope', async () => {
    const { mcpUrl, issuer, write } = get();
    const before = await write.snapshot();
    const answer = await rawRpc(mcpUrl, 'tools/call', { name: write.tool, arguments: write.args() }, { token: issuer.accessToken(mcpUrl, [write.scope]) });
    expect(answer.status).toBe(200);
    expect(answer.body.result).toBeDefined(); // the tool ran (it may still report a tool error)
    if (write.expectChange !== false) {
      expect(answer.body.result?.isError).not.toBe(true);
      expect(await write.snapshot()).not.toEqual(before);
    }
  });

  it('serves RFC 9728 metadata at both well-known paths; /health, /ready and /metrics stay open', async () => {
    const { mcpUrl, issuer, readScope } = get();
    const origin = new URL(mcpUrl).origin;
    for (const url of [prm(), `${origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ resource: mcpUrl, authorization_servers: [issuer.issuer], bearer_methods_supported: ['header'], resource_name: expect.any(String) });
      expect(metadata.scopes_supported).toContain(readScope);
      expect(metadata.scopes_supported).not.toContain('offline_access');
    }
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${origin}${path}`)).status).toBe(200);
  });
}
