import { clientCredentialsToken, registerClientCredentialsClient } from '@fedmcp/testing';
import { startAuthServer, RunningAuthServer } from '../src/server';
import { RESOURCE, verifyAccessToken } from './helpers';

let server: RunningAuthServer;

beforeAll(async () => {
  server = await startAuthServer({ port: 0, accessTokenTtlSeconds: 20, logLevel: 'error' });
}, 120000);
afterAll(() => server?.stop());

it('issues access tokens that live ACCESS_TOKEN_TTL_SECONDS', async () => {
  const client = await registerClientCredentialsClient(server.issuer);
  const issued = await clientCredentialsToken(server.issuer, client, RESOURCE, 'payment:read');
  expect(issued.expires_in).toBe(20);
  const claims = await verifyAccessToken(issued.access_token, server.issuer);
  expect(claims.exp! - claims.iat!).toBe(20);
});
