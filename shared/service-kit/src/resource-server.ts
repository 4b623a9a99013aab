import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { OAuthError, getOAuthProtectedResourceMetadataUrl, verifyBearerToken, type AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from '@fedmcp/instrumentation';
import type { AccessGate, Authentication, Refusal } from './access';
import { JwtAccessTokenVerifier, KeysUnavailableError } from './token-verifier';

/** JSON-RPC error codes of refused requests (the message starts with the SPEC code name). */
export const UNAUTHORIZED_RPC_CODE = -32001;
export const FORBIDDEN_RPC_CODE = -32003;

export interface ResourceServerOptions {
  /** AUTH_ISSUER. */
  issuer: string;
  /** PUBLIC_URL: this server's canonical URL (the audience tokens must carry). */
  resource: string;
  /** AUTH_JWKS_URL. */
  jwksUrl?: string;
  /** The scope tools/list, resources/* and prompts/* need. */
  readScope: string;
  /** The scope each tool needs. */
  toolScopes: Map<string, string>;
  /** Every scope of this service (scopes_supported). */
  scopes: string[];
  /** Human-readable name in the metadata. */
  resourceName: string;
  logger: Logger;
}

interface RpcMessage {
  method?: unknown;
  params?: { name?: unknown };
}

/** RFC 9728 protected-resource metadata. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ['header'];
  resource_name: string;
}

/** Methods that read the service's surface need its read scope; tools/call needs the tool's scope. */
const READ_PREFIXES = ['resources/', 'prompts/', 'completion/', 'subscriptions/'];

/**
 * The OAuth 2.1 resource server in front of /mcp (SPEC, Security): a Bearer
 * JWT access token on every request, checked before the body is read, then
 * the scope the request needs, checked before the SDK (and so before any
 * tool) sees the request. Refusals carry SPEC's exact WWW-Authenticate forms
 * and a JSON-RPC error body.
 *
 * Why not the SDK's `requireBearerAuth` / `scopeChallenge` responses: they
 * answer with an OAuth error JSON body and always put `error=` and
 * `error_description=` in the challenge, while SPEC asks for a JSON-RPC
 * error body and `error="invalid_token"` only when a token was sent. The
 * SDK's `verifyBearerToken` (header parsing, audience, expiry) and
 * `getOAuthProtectedResourceMetadataUrl` are used as they are.
 */
export class ResourceServer implements AccessGate {
  readonly metadataUrl: string;
  readonly metadata: ProtectedResourceMetadata;
  private readonly verifier: JwtAccessTokenVerifier;
  private readonly resourceUrl: URL;
  private readonly noTokenChallenge: string;
  private readonly badTokenChallenge: string;
  private keysProblemLogged = 0;

  constructor(private readonly options: ResourceServerOptions) {
    this.resourceUrl = new URL(options.resource);
    this.metadataUrl = getOAuthProtectedResourceMetadataUrl(this.resourceUrl);
    this.verifier = new JwtAccessTokenVerifier({ issuer: options.issuer, resource: options.resource, jwksUrl: options.jwksUrl });
    this.metadata = {
      resource: options.resource,
      authorization_servers: [options.issuer],
      scopes_supported: options.scopes.filter((s) => s !== 'offline_access'),
      bearer_methods_supported: ['header'],
      resource_name: options.resourceName,
    };
    this.noTokenChallenge = `Bearer resource_metadata="${this.metadataUrl}", scope="${options.readScope}"`;
    this.badTokenChallenge = `Bearer error="invalid_token", resource_metadata="${this.metadataUrl}", scope="${options.readScope}"`;
  }

  /** Fetches the issuer's keys ahead of the first request; a failure is logged and retried per request. */
  async warmUp(): Promise<void> {
    await this.verifier.warmUp().catch((error) => this.logKeysProblem(error));
  }

  async authenticate(req: IncomingMessage): Promise<Authentication> {
    const header = req.headers.authorization;
    if (!header) {
      return this.unauthorized(this.noTokenChallenge, 'this server requires an OAuth access token (Authorization: Bearer <token>); the resource_metadata URL in WWW-Authenticate names the authorization server');
    }
    try {
      return { authInfo: await verifyBearerToken(header, { verifier: this.verifier, expectedResource: this.resourceUrl }) };
    } catch (error) {
      if (error instanceof OAuthError) return this.unauthorized(this.badTokenChallenge, error.message);
      this.logKeysProblem(error);
      return { refusal: { status: 503, code: -32603, message: 'DEPENDENCY_UNAVAILABLE: the authorization server keys cannot be fetched right now; try again shortly' } };
    }
  }

  authorize(authInfo: AuthInfo, parsed: unknown): Refusal | undefined {
    const needed = this.scopesNeeded(parsed);
    return needed && !needed.every((scope) => authInfo.scopes.includes(scope)) ? this.forbidden(needed, parsed) : undefined;
  }

  /** Serves the metadata document (CORS open: browser-based clients read it). */
  metadataRoute(): RequestHandler {
    const body = JSON.stringify(this.metadata);
    return (_req, res) => {
      res.set('Access-Control-Allow-Origin', '*').type('application/json').send(body);
    };
  }

  /** Paths the metadata is served at: the root form, `/mcp` and the path-aware form of PUBLIC_URL. */
  metadataPaths(): string[] {
    return [...new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', new URL(this.metadataUrl).pathname])];
  }

  private unauthorized(challenge: string, problem: string): Authentication {
    return { refusal: { status: 401, challenge, code: UNAUTHORIZED_RPC_CODE, message: `UNAUTHORIZED: ${problem}` } };
  }

  private forbidden(needed: string[], parsed: unknown): Refusal {
    const scope = needed.join(' ');
    const single = parsed as RpcMessage;
    const what = single?.method === 'tools/call' && typeof single.params?.name === 'string' ? single.params.name : String(single?.method ?? 'this request');
    return {
      status: 403,
      challenge: `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${this.metadataUrl}"`,
      code: FORBIDDEN_RPC_CODE,
      message: `FORBIDDEN: ${what} needs the scope ${needed.map((s) => `"${s}"`).join(' and ')}, which this access token does not grant; request a token with it`,
    };
  }

  /** The scopes a JSON-RPC message (or batch) needs beyond a valid token; undefined when none. */
  private scopesNeeded(parsed: unknown): string[] | undefined {
    if (!Array.isArray(parsed)) {
      const scope = this.scopeOf(parsed as RpcMessage | undefined);
      return scope === undefined ? undefined : [scope];
    }
    const scopes = new Set<string>();
    for (const message of parsed) {
      const scope = this.scopeOf(message as RpcMessage);
      if (scope !== undefined) scopes.add(scope);
    }
    return scopes.size ? [...scopes] : undefined;
  }

  private scopeOf(message: RpcMessage | undefined): string | undefined {
    const method = message?.method;
    if (typeof method !== 'string') return undefined;
    if (method === 'tools/call') {
      const name = message!.params?.name;
      // An unknown tool still needs the read scope (its "not found" answer describes the surface).
      return (typeof name === 'string' && this.options.toolScopes.get(name)) || this.options.readScope;
    }
    if (method === 'tools/list' || READ_PREFIXES.some((p) => method.startsWith(p))) return this.options.readScope;
    return undefined;
  }

  private logKeysProblem(error: unknown): void {
    // One line per 30 s at most: a down authorization server must not flood the log.
    const now = Date.now();
    if (now - this.keysProblemLogged < 30_000) return;
    this.keysProblemLogged = now;
    this.options.logger.warn('cannot verify access tokens: the authorization server keys are unavailable', { issuer: this.options.issuer, error: error instanceof KeysUnavailableError ? error.message : String(error) });
  }
}
