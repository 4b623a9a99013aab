import Redis from 'ioredis';
import { testRedisUrl, unique } from '@fedmcp/testing';
import { createRateLimit, rateLimitKey } from '../src/rate-limit';

const LIMIT = 3;

describe('rate limits per principal (RATE_LIMIT_PER_MINUTE)', () => {
  const redisUrl = testRedisUrl();
  let redis: Redis | undefined;

  beforeAll(async () => {
    if (redisUrl) {
      redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
    }
  });
  afterAll(async () => {
    await redis?.quit();
  });

  const spend = async (limit: (key: string) => Promise<number | undefined>, key: string, times: number) => {
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < times; i++) waits.push(await limit(key));
    return waits;
  };

  it('gives two principals calling from one address budgets of their own', async () => {
    const limit = createRateLimit({ service: `rl-${unique()}`, perMinute: LIMIT, redis })!;
    // Two tokens used from the same machine: different client/subject, so different keys.
    const alice = rateLimitKey({ sub: 'alice', client_id: 'claude' });
    const bob = rateLimitKey({ sub: 'bob', client_id: 'claude' });
    const waits = await spend(limit, alice, LIMIT + 1);
    expect(waits.slice(0, LIMIT)).toEqual([undefined, undefined, undefined]);
    expect(waits[LIMIT]).toBeGreaterThanOrEqual(1);
    expect(await spend(limit, bob, LIMIT)).toEqual([undefined, undefined, undefined]);
    expect(await limit(bob)).toBeGreaterThanOrEqual(1);
  });

  it('counts open-mode callers per address', () => {
    const here = rateLimitKey({ sub: 'anonymous', client_id: '127.0.0.1' });
    expect(rateLimitKey({ sub: 'anonymous', client_id: '127.0.0.1' })).toBe(here);
    expect(rateLimitKey({ sub: 'anonymous', client_id: '10.0.0.7' })).not.toBe(here);
    // Separators inside ids cannot make two principals share a key.
    expect(rateLimitKey({ sub: 'b:c', client_id: 'a' })).not.toBe(rateLimitKey({ sub: 'c', client_id: 'a:b' }));
  });

  it('shares one budget across two replicas through Redis (per process without it)', async () => {
    const service = `rl-${unique()}`;
    const replicaA = createRateLimit({ service, perMinute: LIMIT, redis })!;
    const replicaB = createRateLimit({ service, perMinute: LIMIT, redis })!;
    const key = rateLimitKey({ sub: 'carol', client_id: 'cli' });
    expect(await spend(replicaA, key, 2)).toEqual([undefined, undefined]);
    expect(await replicaB(key)).toBeUndefined();
    if (redis) expect(await replicaA(key)).toBeGreaterThanOrEqual(1);
    else expect(await replicaA(key)).toBeUndefined(); // in-process budgets: replica A has spent only 2
  });

  it('is off at 0', () => {
    expect(createRateLimit({ service: 'off', perMinute: 0, redis })).toBeUndefined();
  });
});
