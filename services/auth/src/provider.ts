/**
 * The oidc-provider configuration: what this development authorization
 * server supports (SPEC, Security): authorization code + PKCE S256 with open
 * dynamic client registration, client credentials, resource indicators
 * issuing audience-bound JWT access tokens (RFC 9068), the RFC 9207 `iss`
 * response parameter, and the order service as a static confidential client.
 */
import type { Logger } from '@fedmcp/instrumentation';
import { findDemoUser, PLATFORM_SCOPES, unknownScopes } from './scopes';
import { SIGNING_ALG } from './keys';
import type { ProviderAdapter } from './adapter';

/* oidc-provider ships no type declarations; these are the parts used here. */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type OidcModule = { default: new (issuer: string, config: Record<string, unknown>) => OidcProvider; errors: Record<string, new (...args: any[]) => Error> };
export interface OidcProvider {
  issuer: string;
  proxy: boolean;
  callback(): (req: any, res: any) => void;
  interactionDetails(req: any, res: any): Promise<any>;
  interactionResult(req: any, res: any, result: Record<string, unknown>, options?: Record<string, unknown>): Promise<string>;
  interactionFinished(req: any, res: any, result: Record<string, unknown>, options?: Record<string, unknown>): Promise<void>;
  on(event: string, listener: (...args: any[]) => void): void;
  Grant: new (init: { accountId: string; clientId: string }) => any;
  Client: { find(id: string): Promise<any> };
}

/**
 * Loads oidc-provider (an ES module) from this CommonJS package; a plain `import()` would be compiled to `require`.
 * The random comment keeps V8 from sharing the compiled function between jest test files (each has its own module loader).
 */
const importEsm = new Function('specifier', `return import(specifier); // ${Math.random()}`) as (specifier: string) => Promise<unknown>;

/**
 * Loads oidc-provider once, sending the notices it prints at load time (e.g.
 * "Unsupported runtime" on Node 20) to the JSON log instead of bare stderr.
 */
export async function loadOidcProvider(logger: Logger): Promise<OidcModule> {
  return withConsoleToLog(logger, () => importEsm('oidc-provider') as Promise<OidcModule>);
}

/** Runs `fn` with console.warn/info routed to the logger (oidc-provider's notices). */
export async function withConsoleToLog<T>(logger: Logger, fn: () => Promise<T> | T): Promise<T> {
  const { warn, info } = console;
  console.warn = (...args: unknown[]) => logger.warn(args.map(String).join(' '));
  console.info = (...args: unknown[]) => logger.info(args.map(String).join(' '));
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

/** A client metadata hook (never sent by clients): its validator widens every client's allowed scopes. */
const ANY_SCOPE_PROPERTY = 'fedmcp_any_platform_scope';

export interface ProviderSettings {
  issuer: string;
  accessTokenTtlSeconds: number;
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  adapter: new (name: string) => ProviderAdapter;
  orderClient: { clientId: string; clientSecret: string };
}

/** Builds one provider instance (a key rotation builds a new one over the same store). */
export function createProvider(oidc: OidcModule, settings: ProviderSettings, logger: Logger): OidcProvider {
  const { InvalidScope, InvalidTarget } = oidc.errors;
  const allScopes = PLATFORM_SCOPES.join(' ');
  const grantableScopes = ['openid', ...PLATFORM_SCOPES].join(' ');
  const ttl = settings.accessTokenTtlSeconds;

  /** Refuses scopes the platform does not know (oidc-provider would drop them silently). */
  const refuseUnknownScopes = (ctx: any) => {
    const unknown = unknownScopes(ctx.oidc.params?.scope as string | undefined);
    if (unknown.length) throw new InvalidScope(`unknown scope "${unknown[0]}"; this server knows: ${allScopes}`, unknown[0]);
  };

  const provider = new oidc.default(settings.issuer, {
    adapter: settings.adapter,
    jwks: settings.jwks,
    cookies: { keys: settings.cookieKeys },
    scopes: ['openid', ...PLATFORM_SCOPES],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clients: [
      {
        client_id: settings.orderClient.clientId,
        client_secret: settings.orderClient.clientSecret,
        client_name: 'order service',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: SIGNING_ALG,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Development (SPEC): a registered client may ask for any platform scope, also beyond the `scope`
    // it registered with. MCP clients register with the scope of the first 401 challenge (the read
    // scope) and step up later (403 insufficient_scope → order:write); oidc-provider would refuse that
    // as "requested scope is not allowed". The login page still caps what a user's role grants.
    extraClientMetadata: {
      properties: [ANY_SCOPE_PROPERTY],
      validator: (_ctx: unknown, key: string, _value: unknown, metadata: Record<string, unknown>) => {
        if (key === ANY_SCOPE_PROPERTY) {
          metadata.scope = grantableScopes;
          delete metadata[ANY_SCOPE_PROPERTY];
        }
      },
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 86400,
      Grant: 14 * 86400,
      IdToken: 3600,
      RefreshToken: 14 * 86400,
    },
    // Clients that registered for refresh tokens get them (no offline_access scope in this platform).
    issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx: unknown, id: string) => {
      const user = findDemoUser(id);
      if (!user) return undefined;
      return { accountId: user.id, claims: async () => ({ sub: user.id }) };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      // Platform servers accept Bearer tokens only; a DPoP-bound token would be refused there.
      dPoP: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx: any, _client: unknown, oneOf?: string[]) => {
          if (oneOf) return oneOf;
          // A client-credentials token without an audience would be useless to every platform server.
          if (ctx.oidc.params?.grant_type === 'client_credentials') throw new InvalidTarget('resource is required (the MCP server URL the token is for)');
          return undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: any, resource: string) => {
          refuseUnknownScopes(ctx);
          // Development: any http(s) resource is a platform server accepting any platform scope.
          return {
            scope: allScopes,
            audience: resource,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
    },
    renderError: async (ctx: any, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Sign-in error</title><h1>Sign-in error</h1><p>${escapeHtml(out.error ?? 'error')}: ${escapeHtml(out.error_description ?? '')}</p>`;
    },
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => logger.error('authorization server error', { error: error.message }));
  for (const event of ['access_token.issued', 'client_credentials.issued']) {
    provider.on(event, (token: any) =>
      logger.info('access token issued', { client_id: token.clientId, sub: token.accountId ?? token.clientId, aud: token.resourceServer?.audience, scope: token.scope, expires_in: token.expiration }),
    );
  }
  provider.on('registration_create.success', (_ctx: unknown, client: any) => logger.info('client registered', { client_id: client.clientId, client_name: client.clientName, grant_types: client.grantTypes }));
  return provider;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
