import type { Logger } from '@fedmcp/instrumentation';

export interface ClientCredentialsOptions {
  /** AUTH_ISSUER: its RFC 8414 metadata names the token endpoint. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Token endpoint to use instead of the discovered one (the issuer's address may not be reachable from here). */
  tokenUrl?: string;
  logger: Logger;
  /** Renew this long before expiry (default 30 s, at most half the lifetime). */
  renewBeforeSeconds?: number;
  timeoutMs?: number;
}

interface Cached {
  token: string;
  renewAt: number;
}

/**
 * The service's own access tokens (OAuth client-credentials grant), one per
 * upstream audience (`resource` = that server's canonical URL, RFC 8707),
 * cached until shortly before expiry. Concurrent callers share one request
 * per audience (single flight). Tokens live in memory only: after a restart
 * the first call gets a fresh one.
 */
export class ClientCredentialsTokenSource {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<string>>();
  private tokenEndpoint: Promise<string> | undefined;

  constructor(private readonly options: ClientCredentialsOptions) {}

  /** A valid token for `resource` with `scopes` (cached, or fetched now). */
  async token(resource: string, scopes: string[]): Promise<string> {
    const cached = this.cache.get(resource);
    if (cached && Date.now() < cached.renewAt) return cached.token;
    let flight = this.pending.get(resource);
    if (!flight) {
      flight = this.fetchToken(resource, scopes).finally(() => this.pending.delete(resource));
      this.pending.set(resource, flight);
    }
    return flight;
  }

  /** Forgets `token` (the upstream refused it): the next `token()` fetches a new one. */
  invalidate(resource: string, token: string): void {
    if (this.cache.get(resource)?.token === token) this.cache.delete(resource);
  }

  private endpoint(): Promise<string> {
    if (this.options.tokenUrl) return Promise.resolve(this.options.tokenUrl);
    this.tokenEndpoint ??= (async () => {
      const base = this.options.issuer.replace(/\/$/, '');
      const url = new URL(this.options.issuer);
      const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
      for (const candidate of [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${base}/.well-known/openid-configuration`]) {
        const response = await fetch(candidate, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000) }).catch(() => undefined);
        if (!response?.ok) continue;
        const metadata = (await response.json()) as { token_endpoint?: unknown };
        if (typeof metadata.token_endpoint === 'string') return metadata.token_endpoint;
      }
      throw new Error(`cannot discover the token endpoint of ${this.options.issuer}`);
    })().catch((error) => {
      this.tokenEndpoint = undefined;
      throw error;
    });
    return this.tokenEndpoint;
  }

  private async fetchToken(resource: string, scopes: string[]): Promise<string> {
    const { clientId, clientSecret } = this.options;
    const response = await fetch(await this.endpoint(), {
      method: 'POST',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: scopes.join(' ') }),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!response.ok || typeof body.access_token !== 'string') {
      const problem = `${body.error ?? `HTTP ${response.status}`}${body.error_description ? `: ${body.error_description}` : ''}`;
      this.options.logger.warn('could not obtain an access token for an upstream', { resource, scopes: scopes.join(' '), problem });
      throw new Error(`the authorization server refused a token for ${resource} (${problem})`);
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const early = Math.min(this.options.renewBeforeSeconds ?? 30, lifetime / 2);
    this.cache.set(resource, { token: body.access_token, renewAt: Date.now() + (lifetime - early) * 1000 });
    return body.access_token;
  }
}
