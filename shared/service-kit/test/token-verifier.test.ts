import { startTestIssuer, TestIssuer } from '@fedmcp/testing';
import { JwtAccessTokenVerifier, CLOCK_TOLERANCE_SECONDS } from '../src/token-verifier';
import { LIMITS } from '../src/limits';

// The verifier keeps tokens that verified for a short while (a client sends the
// same token with every request), without ever accepting one past its exp.
describe('JwtAccessTokenVerifier: verified tokens', () => {
  const resource = 'http://127.0.0.1:1/mcp';
  let issuer: TestIssuer;
  let verifier: JwtAccessTokenVerifier;

  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(() => issuer.stop());
  beforeEach(() => {
    verifier = new JwtAccessTokenVerifier({ issuer: issuer.issuer, resource, jwksUrl: issuer.jwksUrl });
  });
  afterEach(() => jest.useRealTimers());

  it('answers a repeated token with the same principal and scopes', async () => {
    const token = issuer.accessToken(resource, ['widget:read']);
    const first = await verifier.verifyAccessToken(token);
    const again = await verifier.verifyAccessToken(token);
    expect(again).toEqual(first);
    expect(first.extra?.principal).toEqual({ sub: 'test-user', client_id: 'test-client', scopes: ['widget:read'] });
  });

  it('refuses a token it accepted once its exp (plus the leeway) has passed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.accessToken(resource, ['widget:read'], { exp: now + 30 });
    await verifier.verifyAccessToken(token);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'], now: (now + 30 + CLOCK_TOLERANCE_SECONDS + 2) * 1000 });
    await expect(verifier.verifyAccessToken(token)).rejects.toThrow(/expired/);
  });

  it('checks a token anew after verifiedTokenSeconds (a key the issuer withdraws stops counting)', async () => {
    const checks = jest.spyOn(verifier as unknown as { verifyAnew: (token: string) => Promise<unknown> }, 'verifyAnew');
    const token = issuer.accessToken(resource, ['widget:read']);
    await verifier.verifyAccessToken(token);
    await verifier.verifyAccessToken(token);
    expect(checks).toHaveBeenCalledTimes(1);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'], now: Date.now() + (LIMITS.verifiedTokenSeconds + 1) * 1000 });
    await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
    expect(checks).toHaveBeenCalledTimes(2);
  });

  it('never answers a different token from the cache', async () => {
    const token = issuer.accessToken(resource, ['widget:read']);
    await verifier.verifyAccessToken(token);
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(verifier.verifyAccessToken(forged)).rejects.toThrow(/signature/);
  });
});
