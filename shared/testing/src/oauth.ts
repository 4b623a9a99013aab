/**
 * OAuth client helpers for tests and tools: dynamic client registration
 * (RFC 7591), client-credentials tokens with a resource indicator (RFC 8707),
 * and a headless OAuth client provider that signs in through the development
 * authorization server's login page over plain HTTP, as a user would in the
 * browser Claude opens.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The parts of RFC 8414 metadata these helpers use. */
export interface AuthServerMetadata {
  issuer: string;
  token_endpoint: string;
  registration_endpoint?: string;
  authorization_endpoint: string;
  jwks_uri: string;
}

/** A client as the registration endpoint returned it. */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

/** An OAuth error answer (status and the `error` / `error_description` fields). */
export class OAuthRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}${description ? `: ${description}` : ''} (HTTP ${status})`);
    this.name = 'OAuthRequestError';
  }
}

async function oauthJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: reported below */
  }
  if (!response.ok) throw new OAuthRequestError(response.status, String(body.error ?? 'http_error'), String(body.error_description ?? text.slice(0, 200)));
  return body as T;
}

/** Fetches the authorization server's RFC 8414 metadata. */
export async function fetchAuthServerMetadata(issuer: string): Promise<AuthServerMetadata> {
  const base = issuer.replace(/\/$/, '');
  return oauthJson<AuthServerMetadata>(await fetch(`${base}/.well-known/oauth-authorization-server`));
}

/** Registers a client by dynamic client registration (RFC 7591) and returns what the server answered. */
export async function registerClient(issuer: string, metadata: Record<string, unknown>): Promise<RegisteredClient> {
  const { registration_endpoint } = await fetchAuthServerMetadata(issuer);
  if (!registration_endpoint) throw new Error(`${issuer} offers no dynamic client registration`);
  const response = await fetch(registration_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
  return oauthJson<RegisteredClient>(response);
}

/** Registers a confidential client allowed the client-credentials grant. */
export function registerClientCredentialsClient(issuer: string, name = 'test client'): Promise<RegisteredClient> {
  return registerClient(issuer, {
    client_name: name,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

/**
 * Asks for an access token with the client-credentials grant for one
 * resource (the MCP server URL, which becomes the token's `aud`) and scopes.
 */
export async function clientCredentialsToken(
  issuer: string,
  client: { client_id: string; client_secret?: string },
  resource: string,
  scopes: string[] | string,
): Promise<TokenResponse> {
  const { token_endpoint } = await fetchAuthServerMetadata(issuer);
  const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, ...(scope ? { scope } : {}) }),
  });
  return oauthJson<TokenResponse>(response);
}

/**
 * Client-credentials tokens per (resource, scopes), reused until three
 * quarters of their lifetime have passed. Registers its own client on first use.
 */
export class TokenCache {
  private client: Promise<RegisteredClient> | undefined;
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly issuer: string,
    client?: { client_id: string; client_secret?: string },
  ) {
    if (client) this.client = Promise.resolve(client);
  }

  /** An access token for `resource` with exactly these scopes (cached). */
  async token(resource: string, scopes: string[] | string): Promise<string> {
    const scope = (Array.isArray(scopes) ? scopes : scopes.split(' ')).filter(Boolean).sort().join(' ');
    const key = `${resource} ${scope}`;
    const cached = this.tokens.get(key);
    if (cached && cached.renewAt > Date.now()) return cached.token;
    this.client ??= registerClientCredentialsClient(this.issuer);
    const issued = await clientCredentialsToken(this.issuer, await this.client, resource, scope);
    this.tokens.set(key, { token: issued.access_token, renewAt: Date.now() + issued.expires_in * 750 });
    return issued.access_token;
  }

  /** Forgets cached tokens (e.g. after a key rotation test). */
  clear(): void {
    this.tokens.clear();
  }
}

/** A cookie jar for one host, enough for the login page's cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()) || attributes.some((a) => /^\s*max-age=0/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/**
 * Follows an authorization URL through the development login page as the
 * user `user` (a demo user id: olivia, sam, audrey) and returns the redirect
 * back to the client (`redirect_uri?code=…&state=…&iss=…`, or `?error=…`).
 */
export async function signInThroughLoginPage(authorizationUrl: string | URL, user: string, redirectUri: string): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 12; step++) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form,
    });
    jar.store(response);
    form = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) return next;
      url = next;
      continue;
    }
    const html = await response.text();
    const action = response.ok ? /<form method="post" action="([^"]+\/login)">/.exec(html)?.[1] : undefined;
    if (!action) throw new Error(`sign-in stopped at ${url.pathname} (HTTP ${response.status}): ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url);
    form = new URLSearchParams({ user });
  }
  throw new Error('sign-in did not come back to the client within 12 redirects');
}

/** What both SDK generations store as tokens and client information. */
type Stored = Record<string, unknown>;

export interface HeadlessOAuthOptions {
  /** Demo user who signs in: `olivia` (operator, default), `sam` (support), `audrey` (auditor). */
  user?: string;
  /** Scopes to ask for when the server's challenge names none (the client metadata `scope`). */
  scope?: string;
  clientName?: string;
  /** Register for refresh tokens (default true); false: a client that signs in again instead of refreshing. */
  refreshTokens?: boolean;
}

/**
 * An OAuth client provider (the `OAuthClientProvider` interface of both the
 * v2 `@modelcontextprotocol/client` and the v1 `@modelcontextprotocol/sdk`)
 * that behaves like Claude: public client registered dynamically, PKCE S256,
 * `resource` on every request, but instead of opening a browser it signs in
 * through the login page over HTTP. After the SDK calls
 * `redirectToAuthorization` and throws `UnauthorizedError`, `callback` holds
 * the redirect back; give it to `transport.finishAuth` and reconnect (or let
 * `connectClient` do it).
 */
export class HeadlessOAuthProvider {
  readonly user: string;
  /** A loopback callback that no one listens on: the redirect is read, never followed. */
  readonly redirectUrl = `http://127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}/callback`;
  /** Every authorization URL the SDK built (tests inspect `resource`, `code_challenge_method`, `scope`). */
  readonly authorizationUrls: URL[] = [];
  /** The last redirect back from the authorization server, until `takeCallback()`. */
  callback: URL | undefined;
  private client: Stored | undefined;
  private stored: Stored | undefined;
  private discovery: Stored | undefined;
  private verifier = '';
  private expectedState = '';

  constructor(private readonly options: HeadlessOAuthOptions = {}) {
    this.user = options.user ?? 'olivia';
  }

  get clientMetadata() {
    return {
      client_name: this.options.clientName ?? 'headless test client',
      redirect_uris: [this.redirectUrl],
      grant_types: this.options.refreshTokens === false ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.options.scope ? { scope: this.options.scope } : {}),
    };
  }

  state(): string {
    this.expectedState = randomBytes(16).toString('base64url');
    return this.expectedState;
  }

  clientInformation() {
    return this.client as never;
  }
  saveClientInformation(info: Stored) {
    this.client = info;
  }
  tokens() {
    return this.stored as never;
  }
  saveTokens(tokens: Stored) {
    this.stored = tokens;
  }
  /** The current access token, if any. */
  get accessToken(): string | undefined {
    return this.stored?.access_token as string | undefined;
  }
  /** What discovery found (v2 checks on the callback leg that the code comes from the same authorization server). */
  saveDiscoveryState(state: Stored) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'tokens') this.stored = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(new URL(authorizationUrl));
    const back = await signInThroughLoginPage(authorizationUrl, this.user, this.redirectUrl);
    if (back.searchParams.get('state') !== this.expectedState) throw new Error('authorization response state does not match the request');
    this.callback = back;
  }

  /** Returns and forgets the pending redirect back (throws if the last sign-in was refused). */
  takeCallback(): URL | undefined {
    const back = this.callback;
    this.callback = undefined;
    if (back?.searchParams.has('error')) throw new Error(`authorization refused: ${back.searchParams.get('error')} ${back.searchParams.get('error_description') ?? ''}`);
    return back;
  }
}

/** A PKCE pair (RFC 7636, S256), for tests that drive the authorization endpoint by hand. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
