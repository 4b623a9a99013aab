import type * as Jose from 'jose';
import { OAuthError, OAuthErrorCode, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { authInfoFor } from './principal';
import { LIMITS } from './limits';

/**
 * Loads an ES module from this CommonJS package (a plain `import()` would be
 * compiled to `require`, which jest cannot do for ESM). The random comment
 * keeps V8 from sharing the compiled function between jest test files.
 */
const importEsm = new Function('specifier', `return import(specifier); // ${Math.random()}`) as (specifier: string) => Promise<unknown>;

let jose: Promise<typeof Jose> | undefined;
/** jose (ESM only), loaded once. */
export function loadJose(): Promise<typeof Jose> {
  jose ??= importEsm('jose') as Promise<typeof Jose>;
  return jose;
}

/** The least time between two key fetches (a token with an unknown `kid` triggers one). */
const KEY_REFETCH_COOLDOWN_MS = 2000;

/** Clock-skew leeway on exp/nbf (SPEC: at most 5 s). */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface JwtVerifierOptions {
  /** AUTH_ISSUER: the only accepted `iss`. */
  issuer: string;
  /** PUBLIC_URL: must be one of the token's audiences. */
  resource: string;
  /** AUTH_JWKS_URL: where keys are fetched; unset = jwks_uri from the issuer's RFC 8414 metadata. */
  jwksUrl?: string;
  /** How long a JWKS fetch may take (ms). */
  fetchTimeoutMs?: number;
}

/** Why the keys could not be obtained: the authorization server's problem, not the token's. */
export class KeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeysUnavailableError';
  }
}

type RemoteKeys = ReturnType<typeof Jose.createRemoteJWKSet>;

const invalid = (message: string) => new OAuthError(OAuthErrorCode.InvalidToken, message);

/** RFC 8414 §3: the well-known URL is inserted between the host and the issuer's path. */
function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path}/.well-known/openid-configuration`];
}

/** Finds the issuer's jwks_uri from its metadata (RFC 8414, then OpenID discovery). */
async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  let lastProblem = 'no metadata document answered';
  for (const url of metadataUrls(issuer)) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) {
        lastProblem = `${url} answered ${response.status}`;
        continue;
      }
      const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (metadata.issuer !== issuer) throw new KeysUnavailableError(`the metadata at ${url} names issuer ${String(metadata.issuer)}, not AUTH_ISSUER ${issuer}`);
      if (typeof metadata.jwks_uri !== 'string') throw new KeysUnavailableError(`the metadata at ${url} has no jwks_uri`);
      return metadata.jwks_uri;
    } catch (error) {
      if (error instanceof KeysUnavailableError) throw error;
      lastProblem = `${url}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  throw new KeysUnavailableError(`cannot discover the keys of ${issuer} (${lastProblem}); set AUTH_JWKS_URL if the issuer's address is not reachable from here`);
}

/** The token's problem, in words for the 401 body (never the token itself). */
function describeFailure(error: unknown): string {
  const e = error as { code?: string; claim?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the access token has expired; get a new one';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'typ') return 'not an access token (its typ must be at+jwt; ID tokens are not accepted)';
      if (e.claim === 'iss') return 'the access token was issued by another authorization server';
      if (e.claim === 'aud') return 'the access token was issued for another resource (audience); request one with resource set to this server';
      if (e.claim === 'nbf') return 'the access token is not valid yet';
      return `the access token's ${e.claim ?? 'claims'} claim is missing or invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the access token signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "the access token is signed with a key the authorization server does not publish";
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the access token uses a signing algorithm the authorization server keys do not allow';
    default:
      return 'the access token is malformed (not a signed JWT)';
  }
}

/**
 * Validates RFC 9068 JWT access tokens: signature against the issuer's JWKS
 * (fetched once and cached by jose; a token with an unknown `kid` triggers a
 * refetch, so key rotation needs no restart), `iss`, `aud` ∋ PUBLIC_URL,
 * `exp`/`nbf` with 5 s leeway, header `typ` `at+jwt`. Once keys are cached a
 * verification does no network I/O, and a token seen moments ago is not
 * checked again (see `verified`). Token problems throw
 * `OAuthError(InvalidToken)` (the SDK's contract); unreachable keys throw
 * KeysUnavailableError.
 */
export class JwtAccessTokenVerifier implements OAuthTokenVerifier {
  private keys: Promise<RemoteKeys> | undefined;
  /**
   * Tokens that verified, by their exact text: a client sends the same token
   * with every request until it expires, and the signature check is the
   * largest cost of a cached read (ES256 through WebCrypto). Bounded in
   * LIMITS; an entry ends at the token's exp or after verifiedTokenSeconds.
   */
  private readonly verified = new Map<string, { info: AuthInfo; until: number }>();
  private readonly resourceUrl: URL;
  private readonly verifyOptions: Jose.JWTVerifyOptions;

  constructor(private readonly options: JwtVerifierOptions) {
    this.resourceUrl = new URL(options.resource);
    this.verifyOptions = { issuer: options.issuer, audience: options.resource, clockTolerance: CLOCK_TOLERANCE_SECONDS, typ: 'at+jwt', requiredClaims: ['exp'] };
  }

  /** The key set, created on first use (the issuer may start after this server). */
  private keySet(): Promise<RemoteKeys> {
    const timeout = this.options.fetchTimeoutMs ?? 3000;
    this.keys ??= (async () => {
      const { createRemoteJWKSet } = await loadJose();
      const jwksUrl = this.options.jwksUrl ?? (await discoverJwksUri(this.options.issuer, timeout));
      // A short cooldown: a token signed by a just-rotated key is accepted within seconds.
      return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: timeout, cooldownDuration: KEY_REFETCH_COOLDOWN_MS, cacheMaxAge: 10 * 60_000 });
    })().catch((error) => {
      this.keys = undefined; // discover again on the next request
      throw error instanceof KeysUnavailableError ? error : new KeysUnavailableError(`cannot load the keys of ${this.options.issuer}: ${String(error)}`);
    });
    return this.keys;
  }

  /** Loads jose and the issuer's keys ahead of the first request (failures are retried per request). */
  async warmUp(): Promise<void> {
    const keys = await this.keySet();
    if (!keys.fresh) await keys.reload();
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const hit = this.verified.get(token);
    if (hit) {
      if (Date.now() < hit.until) return hit.info;
      this.verified.delete(token);
    }
    const info = await this.verifyAnew(token);
    if (this.verified.size >= LIMITS.verifiedTokens) this.verified.delete(this.verified.keys().next().value!);
    // expiresAt is exp + leeway (seconds): the same end jose would enforce.
    this.verified.set(token, { info, until: Math.min(info.expiresAt! * 1000, Date.now() + LIMITS.verifiedTokenSeconds * 1000) });
    return info;
  }

  private async verifyAnew(token: string): Promise<AuthInfo> {
    const [{ jwtVerify, errors }, getKey] = await Promise.all([loadJose(), this.keySet()]);
    let payload: Jose.JWTPayload;
    try {
      try {
        ({ payload } = await jwtVerify(token, getKey, this.verifyOptions));
      } catch (error) {
        // An unknown key right after a fetch (e.g. this server started moments before the issuer
        // rotated): jose refetches only after its cooldown, so wait it out and look once more.
        if (!(error instanceof errors.JWKSNoMatchingKey) || !getKey.coolingDown) throw error;
        const deadline = Date.now() + KEY_REFETCH_COOLDOWN_MS;
        while (getKey.coolingDown && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        ({ payload } = await jwtVerify(token, getKey, this.verifyOptions));
      }
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof Error && !(error instanceof errors.JOSEError))) {
        throw new KeysUnavailableError(`cannot fetch the keys of ${this.options.issuer}: ${error.message}`);
      }
      throw invalid(describeFailure(error));
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
    const sub = typeof payload.sub === 'string' ? payload.sub : clientId;
    if (!clientId || !sub) throw invalid('the access token names no client (client_id) or subject (sub)');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    // The SDK's verifyBearerToken compares expiresAt with the clock without leeway: report the
    // effective end (exp + tolerance) so its check agrees with jose's.
    return authInfoFor({ sub, client_id: clientId, scopes }, payload.exp! + CLOCK_TOLERANCE_SECONDS, this.resourceUrl);
  }
}
