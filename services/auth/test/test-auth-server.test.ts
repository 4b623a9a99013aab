/** The @fedmcp/testing helper other packages use: this server as its own process, SIGHUP rotation, cached tokens. */
import { clientCredentialsToken, startTestAuthServer, TestAuthServer } from '@fedmcp/testing';
import { kidOf, RESOURCE, verifyAccessToken } from './helpers';

let auth: TestAuthServer;

beforeAll(async () => {
  auth = await startTestAuthServer({ accessTokenTtlSeconds: 60 });
}, 60000);
afterAll(() => auth?.stop());

it('hands out cached client-credentials tokens per resource and scope set', async () => {
  const first = await auth.token(RESOURCE, ['payment:write', 'payment:read']);
  expect(await auth.token(RESOURCE, 'payment:read payment:write')).toBe(first);
  expect(await verifyAccessToken(first, auth.issuer)).toMatchObject({ aud: RESOURCE, scope: 'payment:read payment:write' });
  const other = await auth.token('http://127.0.0.1:3001/mcp', 'customer:read');
  expect(await verifyAccessToken(other, auth.issuer, 'http://127.0.0.1:3001/mcp')).toMatchObject({ scope: 'customer:read' });
});

it('rotates the signing key of the running process on SIGHUP, keeping the old key published', async () => {
  const before = await auth.publishedKids();
  const oldToken = await auth.token(RESOURCE, 'payment:refund');
  await auth.rotateKeys();
  const after = await auth.publishedKids();
  expect(after[0]).not.toBe(before[0]);
  expect(after).toContain(before[0]);
  const registered = await auth.registerClientCredentialsClient();
  const fresh = (await clientCredentialsToken(auth.issuer, registered, RESOURCE, 'payment:refund')).access_token;
  expect(kidOf(fresh)).toBe(after[0]);
  await expect(verifyAccessToken(oldToken, auth.issuer)).resolves.toBeTruthy();
  expect(auth.lines.join('\n')).toMatch(/signing key rotated/);
});

it('gives the order service credentials that the server accepts and logs no secret', async () => {
  const issued = await clientCredentialsToken(auth.issuer, { client_id: auth.orderClient.clientId, client_secret: auth.orderClient.clientSecret }, RESOURCE, 'inventory:reserve');
  expect(await verifyAccessToken(issued.access_token, auth.issuer)).toMatchObject({ sub: 'order-service' });
  expect(auth.orderServiceEnv()).toEqual({ AUTH_ISSUER: auth.issuer, AUTH_CLIENT_ID: 'order-service', AUTH_CLIENT_SECRET: auth.orderClient.clientSecret });
  const log = auth.lines.join('\n');
  expect(log).not.toContain(auth.orderClient.clientSecret);
  expect(log).not.toContain(issued.access_token);
  for (const line of auth.lines) expect(() => JSON.parse(line)).not.toThrow();
});
