import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clientCredentialsToken, OAuthRequestError, pkcePair, registerClient, registerClientCredentialsClient, signInThroughLoginPage } from '@fedmcp/testing';
import { startAuthServer, RunningAuthServer } from '../src/server';
import { PLATFORM_SCOPES, ROLE_SCOPES } from '../src/scopes';
import { kidOf, RESOURCE, verifyAccessToken } from './helpers';

let server: RunningAuthServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-auth-test-'));
  server = await startAuthServer({ port: 0, dataDir, logLevel: 'error' });
}, 120000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const getJson = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** Starts an authorization request for a freshly registered public client, as Claude does. */
async function authorizationRequest(params: Record<string, string>, registration: Record<string, unknown> = {}) {
  const redirectUri = 'http://127.0.0.1:45678/callback';
  const client = await registerClient(server.issuer, {
    client_name: 'pkce test',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...registration,
  });
  const pkce = pkcePair();
  const url = new URL(`${server.issuer}/auth`);
  const all: Record<string, string> = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    state: 'state-123',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    resource: RESOURCE,
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== '') url.searchParams.set(k, v);
  return { client, pkce, url, redirectUri };
}

async function exchangeCode(clientId: string, code: string, verifier: string, redirectUri: string) {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId, resource: RESOURCE }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('metadata', () => {
  it('serves RFC 8414 metadata with PKCE S256, registration, client credentials and the iss response parameter', async () => {
    const metadata = await getJson(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.registration_endpoint).toBe(`${server.issuer}/reg`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']));
    expect(metadata.grant_types_supported).not.toContain('implicit');
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.jwks_uri).toBe(server.jwksUrl);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining([...PLATFORM_SCOPES]));
    expect(metadata.scopes_supported).not.toContain('offline_access');
  });

  it('serves the same document as OpenID Connect discovery, and a health endpoint', async () => {
    expect(await getJson(`${server.issuer}/.well-known/openid-configuration`)).toEqual(await getJson(`${server.issuer}/.well-known/oauth-authorization-server`));
    expect(await getJson(`${server.url}/health`)).toEqual({ status: 'ok' });
  });
});

describe('client credentials', () => {
  it('registers a client dynamically and issues an audience-bound RFC 9068 JWT for the requested resource and scopes', async () => {
    const client = await registerClientCredentialsClient(server.issuer);
    expect(client.client_id).toBeTruthy();
    expect(client.client_secret).toBeTruthy();
    const before = Math.floor(Date.now() / 1000);
    const issued = await clientCredentialsToken(server.issuer, client, RESOURCE, ['payment:read', 'payment:refund']);
    expect(issued.token_type).toBe('Bearer');
    expect(issued.scope).toBe('payment:read payment:refund');
    const claims = await verifyAccessToken(issued.access_token, server.issuer);
    expect(claims).toMatchObject({ iss: server.issuer, aud: RESOURCE, sub: client.client_id, client_id: client.client_id, scope: 'payment:read payment:refund' });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.iat!).toBeGreaterThanOrEqual(before - 1);
  });

  it('refuses a scope the platform does not know, and a token request without a resource', async () => {
    const client = await registerClientCredentialsClient(server.issuer);
    await expect(clientCredentialsToken(server.issuer, client, RESOURCE, ['payment:read', 'payment:everything'])).rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
    await expect(clientCredentialsToken(server.issuer, client, RESOURCE, ['offline_access'])).rejects.toMatchObject({ error: 'invalid_scope' });
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'payment:read' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_target');
  });

  it('issues the order service its tokens with the configured secret, and refuses a wrong secret', async () => {
    const issued = await clientCredentialsToken(server.issuer, { client_id: server.orderClient.clientId, client_secret: server.orderClient.clientSecret }, RESOURCE, 'payment:write');
    expect(await verifyAccessToken(issued.access_token, server.issuer)).toMatchObject({ sub: 'order-service', client_id: 'order-service' });
    const wrong = clientCredentialsToken(server.issuer, { client_id: server.orderClient.clientId, client_secret: 'not-the-secret' }, RESOURCE, 'payment:write');
    await expect(wrong).rejects.toBeInstanceOf(OAuthRequestError);
    await expect(wrong).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
  });
});

describe('authorization code with PKCE through the login page', () => {
  it('lists the demo users and their roles on a page marked for development', async () => {
    const { url } = await authorizationRequest({ scope: 'order:read order:write' });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const login = await fetch(new URL(response.headers.get('location')!, server.issuer), { headers: { cookie } });
    const html = await login.text();
    expect(login.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toMatch(/Development only/);
    for (const role of Object.keys(ROLE_SCOPES)) expect(html).toContain(`role <strong>${role}</strong>`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('signs in, returns the code with iss (RFC 9207), and exchanges it with the verifier for a JWT bound to the resource', async () => {
    const { client, pkce, url, redirectUri } = await authorizationRequest({ scope: 'order:read order:write payment:refund' });
    const back = await signInThroughLoginPage(url, 'olivia', redirectUri);
    expect(back.searchParams.get('iss')).toBe(server.issuer);
    expect(back.searchParams.get('state')).toBe('state-123');
    const { status, body } = await exchangeCode(client.client_id, back.searchParams.get('code')!, pkce.verifier, redirectUri);
    expect(status).toBe(200);
    expect(body.scope).toBe('order:read order:write payment:refund');
    const claims = await verifyAccessToken(body.access_token, server.issuer);
    expect(claims).toMatchObject({ sub: 'olivia', client_id: client.client_id, aud: RESOURCE, scope: 'order:read order:write payment:refund' });
    expect(body.refresh_token).toBeTruthy();
  });

  it('caps the granted scopes at what the role allows', async () => {
    const { client, pkce, url, redirectUri } = await authorizationRequest({ scope: 'order:read order:write payment:refund audit:read' });
    const back = await signInThroughLoginPage(url, 'audrey', redirectUri);
    const { body } = await exchangeCode(client.client_id, back.searchParams.get('code')!, pkce.verifier, redirectUri);
    // auditor: read scopes and audit:read; not order:write, not payment:refund.
    expect(body.scope).toBe('order:read audit:read');
    expect(await verifyAccessToken(body.access_token, server.issuer)).toMatchObject({ sub: 'audrey', scope: 'order:read audit:read' });
  });

  it('lets a client registered with a narrower scope step up later (as MCP clients do after a 403), within the role', async () => {
    // The v2 SDK registers with the scope of the first challenge (the read scope) and asks for more on insufficient_scope.
    const { url, redirectUri, pkce } = await authorizationRequest({ scope: 'order:read order:write' }, { scope: 'order:read' });
    const back = await signInThroughLoginPage(url, 'sam', redirectUri);
    expect(back.searchParams.get('error')).toBeNull();
    const clientId = url.searchParams.get('client_id')!;
    const { body } = await exchangeCode(clientId, back.searchParams.get('code')!, pkce.verifier, redirectUri);
    expect(body.scope).toBe('order:read order:write');
    // Still capped by the role: the auditor asking for order:write gets only the read scope.
    const audrey = await authorizationRequest({ scope: 'order:read order:write' }, { scope: 'order:read' });
    const audreyBack = await signInThroughLoginPage(audrey.url, 'audrey', audrey.redirectUri);
    const capped = await exchangeCode(audrey.url.searchParams.get('client_id')!, audreyBack.searchParams.get('code')!, audrey.pkce.verifier, audrey.redirectUri);
    expect(capped.body.scope).toBe('order:read');
  });

  it('refuses a code exchange with the wrong verifier', async () => {
    const { client, url, redirectUri } = await authorizationRequest({ scope: 'order:read' });
    const back = await signInThroughLoginPage(url, 'sam', redirectUri);
    const { status, body } = await exchangeCode(client.client_id, back.searchParams.get('code')!, pkcePair().verifier, redirectUri);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it.each([
    ['absent', { code_challenge: '', code_challenge_method: '' }],
    ['plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
  ])('refuses an authorization request with PKCE %s', async (_name, params) => {
    const { url, redirectUri } = await authorizationRequest({ scope: 'order:read', ...params });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location')!);
    expect(back.href.startsWith(redirectUri)).toBe(true);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('iss')).toBe(server.issuer);
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('refuses an unknown scope in the authorization request', async () => {
    const { url } = await authorizationRequest({ scope: 'order:read order:everything' });
    const response = await fetch(url, { redirect: 'manual' });
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
  });
});

describe('signing keys', () => {
  it('rotation signs with a new key and keeps publishing the old one; old tokens still verify', async () => {
    const client = await registerClientCredentialsClient(server.issuer);
    const before = (await clientCredentialsToken(server.issuer, client, RESOURCE, 'payment:read')).access_token;
    const oldKid = server.signingKid();
    await server.rotateKeys();
    expect(server.signingKid()).not.toBe(oldKid);
    const jwks = (await getJson(server.jwksUrl)) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, server.signingKid()]));
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const after = (await clientCredentialsToken(server.issuer, client, RESOURCE, 'payment:read')).access_token;
    expect(kidOf(after)).toBe(server.signingKid());
    await expect(verifyAccessToken(before, server.issuer)).resolves.toMatchObject({ scope: 'payment:read' });
    await expect(verifyAccessToken(after, server.issuer)).resolves.toMatchObject({ scope: 'payment:read' });
  });

  it('keeps keys, registered clients and the order secret across a restart, so tokens stay valid', async () => {
    const client = await registerClientCredentialsClient(server.issuer);
    const token = (await clientCredentialsToken(server.issuer, client, RESOURCE, 'payment:read')).access_token;
    const { orderClient } = server;
    const port = Number(new URL(server.url).port);
    await server.stop();
    server = await startAuthServer({ port, dataDir, logLevel: 'error' });
    expect(server.orderClient).toEqual(orderClient);
    await expect(verifyAccessToken(token, server.issuer)).resolves.toMatchObject({ sub: client.client_id });
    // The client registered before the restart can still get tokens.
    await expect(clientCredentialsToken(server.issuer, client, RESOURCE, 'payment:read')).resolves.toMatchObject({ scope: 'payment:read' });
    expect(fs.statSync(path.join(dataDir, 'auth', 'signing-keys.json')).mode & 0o077).toBe(0);
  });
});
