/**
 * Authorization end to end, with real tokens from the real development
 * authorization server: clients that discover and sign in on their own, a
 * refused scope, what the upstreams really received from the order service,
 * tokens expiring under a running platform, and key rotation.
 */
import {
  clientCredentialsToken,
  connectClient,
  dropTestDatabases,
  jwtClaims,
  Platform,
  rawRpc,
  RecordingProxy,
  startPlatform,
  startTestAuthServer,
  TestAuthServer,
  TestClient,
} from '@fedmcp/testing';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';
import type { AuditEvent } from '@fedmcp/service-kit';
import { newCustomer, newProduct, OrderView, placeOrder } from './fixtures';

jest.setTimeout(120_000);

/** SPEC: the servers keep working with access tokens this short-lived. */
const TOKEN_TTL_SECONDS = 20;
type Upstream = 'customer' | 'product' | 'payment';
const UPSTREAMS: Upstream[] = ['customer', 'product', 'payment'];

let auth: TestAuthServer;
let platform: Platform;
const proxies = {} as Record<Upstream, RecordingProxy>;

beforeAll(async () => {
  auth = await startTestAuthServer({ accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  // The order service reaches each upstream through a recording proxy; its tokens' audience stays the upstream's own URL.
  platform = await startPlatform({
    auth,
    upstreamUrl: async (name, url) => {
      proxies[name] = await new RecordingProxy(url).start();
      return proxies[name].rewrite(url);
    },
  });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  await auth?.stop();
  await dropTestDatabases();
});

interface OrderWithParty extends OrderView {
  placed_by: { sub: string; client_id: string } | null;
}


const audienceOf = (token: string) => [jwtClaims(token).aud].flat();
const clearRecords = () => UPSTREAMS.forEach((name) => (proxies[name].records.length = 0));

/** Places a small order with `client` for a fresh customer and product (made with the platform's own clients). */
async function orderWith(client: TestClient): Promise<OrderWithParty> {
  const customer = await newCustomer(platform);
  const product = await newProduct(platform, 5);
  return (await placeOrder(client, { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' })) as OrderWithParty;
}

/**
 * What the upstreams received while the order service placed one order for
 * `callerToken`'s holder: only the order service's own tokens, each bound to
 * that upstream, and the caller named as data in every tools/call.
 */
function expectUpstreamTraffic(placed: OrderWithParty, callerToken: string) {
  const expectedCalls: Record<Upstream, string[]> = {
    customer: ['get_customer'],
    product: ['reserve_inventory', 'commit_reservation'],
    payment: ['authorize_payment', 'capture_payment'],
  };
  for (const name of UPSTREAMS) {
    const proxy = proxies[name];
    const mcpRequests = proxy.records.filter((r) => r.path.startsWith('/mcp'));
    expect(proxy.toolCalls().map((r) => r.message!.params!.name)).toEqual(expect.arrayContaining(expectedCalls[name]));
    for (const request of mcpRequests) {
      expect(request.bearer).toBeDefined();
      const claims = jwtClaims(request.bearer!);
      expect({ server: name, aud: audienceOf(request.bearer!), iss: claims.iss, client_id: claims.client_id }).toEqual({
        server: name,
        aud: [platform.processes[name].mcpUrl],
        iss: auth.issuer,
        client_id: auth.orderClient.clientId,
      });
    }
    // The caller's token went nowhere upstream: not as the bearer, not in a header, not in a body.
    for (const request of proxy.records) expect(`${JSON.stringify(request.headers)} ${request.body}`).not.toContain(callerToken);
    for (const call of proxy.toolCalls()) expect({ tool: call.message!.params!.name, on_behalf_of: call.message!.params!._meta?.['io.fedmcp/on_behalf_of'] }).toEqual({ tool: call.message!.params!.name, on_behalf_of: placed.placed_by });
  }
}

async function auditEventOf(client: TestClient, tool: string, resourceId: string): Promise<AuditEvent> {
  const { items } = await client.ok<{ items: AuditEvent[] }>(LIST_AUDIT_EVENTS, { tool, limit: 100 });
  const matching = items.filter((e) => e.resource_ids.includes(resourceId));
  expect(matching).toHaveLength(1);
  return matching[0];
}

describe('a client that starts with no token and follows the discovery', () => {
  it('modern (v2) client: 401 → metadata → registration → PKCE sign-in as olivia → the order confirms, placed by olivia', async () => {
    const orderUrl = platform.processes.order.mcpUrl;
    const provider = auth.oauthProvider({ user: 'olivia', clientName: 'modern e2e' });
    const client = await connectClient(orderUrl, 'modern', provider);
    try {
      // It signed in once, with PKCE S256 and the order server as the resource, and got a token for that audience only.
      expect(provider.authorizationUrls).toHaveLength(1);
      const request = provider.authorizationUrls[0];
      expect(request.origin).toBe(auth.issuer);
      expect(request.searchParams.get('code_challenge_method')).toBe('S256');
      expect(request.searchParams.get('resource')).toBe(orderUrl);
      expect(audienceOf(provider.accessToken!)).toEqual([orderUrl]);
      const clientId = (provider.clientInformation() as { client_id: string }).client_id;
      expect(jwtClaims(provider.accessToken!)).toMatchObject({ sub: 'olivia', client_id: clientId });

      clearRecords();
      const placed = await orderWith(client);
      expect(placed.status).toBe('confirmed');
      expect(placed.placed_by).toEqual({ sub: 'olivia', client_id: clientId });
      expectUpstreamTraffic(placed, provider.accessToken!);

      // The upstreams' audit trails: the order service called, on olivia's behalf.
      const { reservation_id } = await client.ok<{ reservation_id: string }>('get_order', { order_id: placed.order_id });
      const service = { sub: auth.orderClient.clientId, client_id: auth.orderClient.clientId };
      for (const [upstream, tool, id] of [
        ['product', 'reserve_inventory', placed.order_id],
        ['product', 'commit_reservation', reservation_id],
        ['payment', 'authorize_payment', placed.payment_id!],
        ['payment', 'capture_payment', placed.payment_id!],
      ] as const) {
        expect(await auditEventOf(platform.clients[upstream], tool, id)).toMatchObject({ tool, outcome: 'ok', principal: service, on_behalf_of: placed.placed_by });
      }
      // The order service's own trail names the user as the principal.
      expect(await auditEventOf(platform.clients.order, 'create_order', placed.order_id)).toMatchObject({ principal: { sub: 'olivia', client_id: clientId }, on_behalf_of: null });
    } finally {
      await client.close();
    }
  });

  it('legacy (v1 SDK) client: the same discovery and sign-in as sam (support) → the order confirms, placed by sam', async () => {
    // The v1 SDK steps up (403 insufficient_scope) by refreshing when it holds a refresh token, which cannot widen
    // the scope (typescript-sdk issue 2255, fixed in v2 only): this client registers without refresh tokens, as
    // public clients without offline access do, so its step-up signs in again.
    const provider = auth.oauthProvider({ user: 'sam', clientName: 'v1 e2e', refreshTokens: false });
    const client = await connectClient(platform.processes.order.mcpUrl, 'v1', provider);
    try {
      expect(provider.authorizationUrls[0].searchParams.get('resource')).toBe(platform.processes.order.mcpUrl);
      expect(provider.authorizationUrls[0].searchParams.get('code_challenge_method')).toBe('S256');
      const clientId = (provider.clientInformation() as { client_id: string }).client_id;
      clearRecords();
      const placed = await orderWith(client);
      expect(placed.status).toBe('confirmed');
      expect(placed.placed_by).toEqual({ sub: 'sam', client_id: clientId });
      // It signed in for the read scope, then again for order:write when create_order asked for it.
      expect(provider.authorizationUrls.map((u) => u.searchParams.get('scope'))).toEqual(['order:read', 'order:write']);
      expectUpstreamTraffic(placed, provider.accessToken!);
    } finally {
      await client.close();
    }
  });
});

describe('scopes', () => {
  it('refuses create_order with 403 insufficient_scope to a signed-in user whose role lacks order:write, and creates nothing', async () => {
    const orderUrl = platform.processes.order.mcpUrl;
    const provider = auth.oauthProvider({ user: 'audrey', clientName: 'auditor e2e' });
    const client = await connectClient(orderUrl, 'modern', provider);
    try {
      // Reads work: the auditor's token carries order:read.
      expect((await client.listTools()).map((t) => t.name)).toContain('create_order');
      const customer = await newCustomer(platform);
      const product = await newProduct(platform, 5);
      const args = { customer_id: customer, items: [{ product_id: product, quantity: 1 }], payment_method: 'pm_card_ok' };
      // Through the SDK: it steps up (signs in again asking for order:write), the role does not grant it, the call fails.
      await expect(client.call('create_order', args)).rejects.toThrow();
      expect(provider.authorizationUrls.length).toBeGreaterThanOrEqual(2);
      expect(provider.authorizationUrls.at(-1)!.searchParams.get('scope')).toContain('order:write');
      expect(jwtClaims(provider.accessToken!).scope).not.toMatch(/order:write/);
      // On the wire: the SPEC's 403 challenge naming the scope, a JSON-RPC error body.
      const answer = await rawRpc(orderUrl, 'tools/call', { name: 'create_order', arguments: args }, { token: provider.accessToken });
      expect(answer.status).toBe(403);
      const challenge = answer.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="order:write"');
      expect(challenge).toContain(`resource_metadata="${new URL(orderUrl).origin}/.well-known/oauth-protected-resource/mcp"`);
      expect(answer.body).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('order:write') } });
      expect((await platform.clients.order.ok<{ items: unknown[] }>('list_orders', { customer_id: customer })).items).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('keys and token lifetimes', () => {
  it('accepts tokens signed with a key the authorization server rotated in while every server runs', async () => {
    const before = await auth.publishedKids();
    await auth.rotateKeys();
    const newKid = (await auth.publishedKids())[0];
    expect(newKid).not.toBe(before[0]);
    const registered = await auth.registerClientCredentialsClient('rotation e2e');
    for (const name of [...UPSTREAMS, 'order'] as const) {
      const mcpUrl = platform.processes[name].mcpUrl;
      const { access_token } = await clientCredentialsToken(auth.issuer, registered, mcpUrl, `${name}:read`);
      expect(JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString('utf8')).kid).toBe(newKid);
      const answer = await rawRpc(mcpUrl, 'tools/list', {}, { token: access_token });
      expect({ name, status: answer.status, error: answer.body.error?.message }).toEqual({ name, status: 200, error: undefined });
    }
  });

  it(`places orders across more than one ${TOKEN_TTL_SECONDS} s token lifetime: all confirm, the order service renewed its upstream tokens, and again after a restart`, async () => {
    clearRecords();
    const started = Date.now();
    const results: OrderWithParty[] = [];
    while (Date.now() - started < (TOKEN_TTL_SECONDS + 5) * 1000) {
      results.push(await orderWith(platform.clients.order));
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'confirmed'));
    const tokensSeen = (name: Upstream) => new Set(proxies[name].toolCalls().map((r) => r.bearer!));
    // Renewed before expiry: more than one token per upstream over the run.
    for (const name of UPSTREAMS) expect({ name, renewed: tokensSeen(name).size >= 2 }).toEqual({ name, renewed: true });
    // Keys rotated earlier in this file: the renewed tokens are signed with the new key, and the upstreams accepted them.
    const currentKid = (await auth.publishedKids())[0];
    for (const name of UPSTREAMS) expect([...tokensSeen(name)].map((token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid)).toContain(currentKid);
    const beforeRestart = Object.fromEntries(UPSTREAMS.map((name) => [name, tokensSeen(name)])) as Record<Upstream, Set<string>>;

    // A restarted order service starts with no token and gets fresh ones.
    await platform.processes.order.stop();
    await platform.restart('order');
    clearRecords();
    const client = await connectClient(platform.processes.order.mcpUrl, 'modern', await auth.token(platform.processes.order.mcpUrl, ['order:read', 'order:write']));
    try {
      expect((await orderWith(client)).status).toBe('confirmed');
    } finally {
      await client.close();
    }
    for (const name of UPSTREAMS) {
      expect(tokensSeen(name).size).toBeGreaterThan(0);
      for (const token of tokensSeen(name)) expect(beforeRestart[name].has(token)).toBe(false);
    }
  });
});
