/**
 * A minimal token issuer for resource-server tests: publishes RFC 8414
 * metadata and a JWKS over HTTP and signs whatever JWT a test asks for
 * (ES256, node:crypto). It stands in for an attacker as much as for an
 * authorization server: tests use it to forge the tokens a server must refuse
 * (foreign key, other issuer, expired, ID token) and to rotate keys.
 */
import * as http from 'node:http';
import { createPrivateKey, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface SignOptions {
  /** JOSE header `typ` (default `at+jwt`; an ID token has `JWT`). */
  typ?: string;
  /** Sign with a key this issuer never published (a forgery). */
  unpublishedKey?: boolean;
}

export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  /** Signs `claims` as-is (no defaults): for crafting tokens a server must refuse. */
  sign(claims: Record<string, unknown>, options?: SignOptions): string;
  /** A valid access token for `resource` with `scopes` (overrides change any claim). */
  accessToken(resource: string, scopes: string[], overrides?: Record<string, unknown>): string;
  /** A new signing key; the old one stays published (as an authorization server rotating keys does). */
  rotate(): void;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  stop(): Promise<void>;
}

/** Starts a test issuer on an ephemeral loopback port. */
export async function startTestIssuer(): Promise<TestIssuer> {
  const keys: SigningKey[] = [newKey()];
  const foreign = newKey();
  let fetches = 0;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, response_types_supported: ['code'] }));
    }
    if (path === '/jwks') {
      fetches++;
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const signWith = (key: SigningKey, claims: Record<string, unknown>, typ: string) => {
    const input = `${b64({ alg: 'ES256', typ, kid: key.kid })}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    sign: (claims, options = {}) => signWith(options.unpublishedKey ? foreign : keys[keys.length - 1], claims, options.typ ?? 'at+jwt'),
    accessToken: (resource, scopes, overrides = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, sub: 'test-user', client_id: 'test-client', aud: resource, scope: scopes.join(' '), iat: now, exp: now + 600, jti: randomUUID(), ...overrides };
      return signWith(keys[keys.length - 1], claims, 'at+jwt');
    },
    rotate: () => void keys.push(newKey()),
    jwksFetches: () => fetches,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
