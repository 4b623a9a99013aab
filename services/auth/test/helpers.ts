/** Shared by the authorization server's tests: token decoding and verification against the published keys. */
import * as http from 'node:http';
import type { JSONWebKeySet, JWTPayload } from 'jose';

/** The published keys, on a fresh connection each time (a pooled one may point at a server the test restarted). */
function fetchJwks(url: string): Promise<JSONWebKeySet> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve(JSON.parse(body) as JSONWebKeySet));
      })
      .on('error', reject);
  });
}

// jose is an ES module: loaded with a real dynamic import (ts-jest would turn `import()` into `require`).
const importEsm = new Function('specifier', `return import(specifier); // ${Math.random()}`) as (specifier: string) => Promise<typeof import('jose')>;

export const RESOURCE = 'http://127.0.0.1:3004/mcp';

/** Verifies an access token as a platform server does (signature, iss, aud, typ). */
export async function verifyAccessToken(token: string, issuer: string, audience = RESOURCE): Promise<JWTPayload> {
  const { createLocalJWKSet, jwtVerify } = await importEsm('jose');
  const keys = createLocalJWKSet(await fetchJwks(`${issuer}/jwks`));
  const { payload } = await jwtVerify(token, keys, { issuer, audience, typ: 'at+jwt' });
  return payload;
}

export const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid;
