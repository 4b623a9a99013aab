/**
 * `npm run token -- <service> <scope>...`: prints an access token for one
 * server of the running platform and a set of scopes, for the MCP Inspector
 * or curl. It registers a client-credentials client with the authorization
 * server once (dynamic registration, kept in DATA_DIR/token-client.json) and
 * asks for a token with `resource` = that server's MCP URL.
 *
 *   npm run token -- payment payment:read
 *   curl -H "Authorization: Bearer $(npm run -s token -- order order:read)" …
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clientCredentialsToken, OAuthRequestError, RegisteredClient, registerClientCredentialsClient } from '@fedmcp/testing';
import { planAuth } from './auth-wiring';
import { FLEET, getService, repoRoot } from './services';

export const TOKEN_USAGE = `usage: npm run token -- <service> <scope>...
  service: ${FLEET.map((s) => s.name).join(', ')}
  e.g.     npm run token -- payment payment:read payment:write
Prints an access token (stdout, nothing else) for that server's MCP URL.
Environment: AUTH_ISSUER (default the development server, AUTH_PORT or 3005),
<SERVICE>_PORT or <SERVICE>_PUBLIC_URL for the server's URL.`;

/** The canonical URL of a server on this machine (what its tokens' `aud` must be). */
export function resourceFor(name: string, env: NodeJS.ProcessEnv): string {
  const svc = getService(name);
  const upper = svc.name.toUpperCase();
  return env[`${upper}_PUBLIC_URL`] ?? `http://127.0.0.1:${env[`${upper}_PORT`] ?? svc.port}/mcp`;
}

function clientFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.DATA_DIR ?? path.join(repoRoot(), '.data'), 'token-client.json');
}

async function tokenClient(issuer: string, env: NodeJS.ProcessEnv, fresh: boolean): Promise<RegisteredClient> {
  const file = clientFile(env);
  if (!fresh && fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { issuer: string; client: RegisteredClient };
    if (saved.issuer === issuer) return saved.client;
  }
  const client = await registerClientCredentialsClient(issuer, 'npm run token');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ issuer, client: { client_id: client.client_id, client_secret: client.client_secret } }), { mode: 0o600 });
  return client;
}

/** A token for `service` with `scopes` from the platform's authorization server. */
export async function platformToken(service: string, scopes: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return issuedToken(planAuth(env).issuer, resourceFor(service, env), scopes, env);
}

/** A client-credentials token for `resource` with `scopes` from `issuer` (the command's client is registered there once). */
export async function issuedToken(issuer: string, resource: string, scopes: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return (await clientCredentialsToken(issuer, await tokenClient(issuer, env, false), resource, scopes)).access_token;
  } catch (error) {
    // The authorization server forgot the client (its data was reset): register again once.
    if (!(error instanceof OAuthRequestError && error.error === 'invalid_client')) throw error;
    return (await clientCredentialsToken(issuer, await tokenClient(issuer, env, true), resource, scopes)).access_token;
  }
}

async function main(): Promise<void> {
  const [service, ...scopes] = process.argv.slice(2);
  if (!service || scopes.length === 0 || service === '--help' || !FLEET.some((s) => s.name === service)) {
    process.stderr.write(`${TOKEN_USAGE}\n`);
    process.exit(2);
  }
  try {
    process.stdout.write(`${await platformToken(service, scopes.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))}\n`);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const hint = cause === 'ECONNREFUSED' ? ' (is the platform running? start it with npm start)' : '';
    process.stderr.write(`npm run token: ${(error as Error).message}${hint}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();

/**
 * The Authorization header for a server behind an authorization server (its
 * protected-resource metadata names one): a client-credentials token with
 * the server's read scope, for exactly that server. None in open mode.
 */
export async function authorizationFor(name: string, mcpUrl: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const metadataUrl = new URL(mcpUrl);
  metadataUrl.pathname = `/.well-known/oauth-protected-resource${metadataUrl.pathname}`;
  const response = await fetch(metadataUrl, { signal: AbortSignal.timeout(5000) });
  if (response.status === 404) return {};
  if (!response.ok) throw new Error(`${name}: ${metadataUrl} answered ${response.status}`);
  const metadata = (await response.json()) as { resource?: string; authorization_servers?: string[] };
  const issuer = metadata.authorization_servers?.[0];
  if (!issuer || !metadata.resource) return {};
  return { authorization: `Bearer ${await issuedToken(issuer, metadata.resource, [`${name}:read`], env)}` };
}
