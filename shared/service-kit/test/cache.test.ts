import { TcpProxy, testRedisUrl } from '@fedmcp/testing';
import Redis from 'ioredis';
import { createLogger, createMetrics, ServiceMetrics } from '@fedmcp/instrumentation';
import { Cache } from '../src';

const logger = createLogger({ service: 'kit-test', level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (true) or `ms` pass; answers whether it held. */
async function until(check: () => Promise<boolean>, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

async function counts(metrics: ServiceMetrics, cache: string) {
  const value = async (metric: typeof metrics.cacheHits) => (await metric.get()).values.find((v) => v.labels.cache === cache)?.value ?? 0;
  return { hits: await value(metrics.cacheHits), misses: await value(metrics.cacheMisses) };
}

/** The in-process store always; Redis too when the run has one (CI always does). */
const stores: ['memory' | 'redis', string | undefined][] = [['memory', undefined], ...(testRedisUrl() ? [['redis', testRedisUrl()] as ['redis', string]] : [])];

describe.each(stores)('Cache with the %s store', (kind, redisUrl) => {
  let metrics: ServiceMetrics;
  let cache: Cache;
  // A fresh service name per test keeps Redis keys of earlier runs out of the way.
  let service: string;

  beforeEach(async () => {
    metrics = createMetrics({ service: 'kit-test', defaultMetrics: false });
    service = `kit-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    cache = new Cache({ service, redisUrl, ttlSeconds: 1, metrics, logger });
    if (redisUrl) await until(async () => cache.redisClient()?.status === 'ready', 5000);
  });

  afterEach(() => cache.close());

  it('reports ok status', () => {
    expect(cache.status()).toBe('ok');
    expect(cache.redisClient() !== undefined).toBe(kind === 'redis');
  });

  it('loads once, then serves hits, counting hits and misses', async () => {
    let loads = 0;
    const load = async () => ({ id: 'cus_1', n: ++loads });
    expect(await cache.getOrLoad('customer', 'cus_1', load)).toEqual({ id: 'cus_1', n: 1 });
    expect(await cache.getOrLoad('customer', 'cus_1', load)).toEqual({ id: 'cus_1', n: 1 });
    expect(await cache.getOrLoad('customer', 'cus_1', load)).toEqual({ id: 'cus_1', n: 1 });
    expect(loads).toBe(1);
    expect(await counts(metrics, 'customer')).toEqual({ hits: 2, misses: 1 });
  });

  it('does not cache an absent value', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      return undefined;
    };
    expect(await cache.getOrLoad('customer', 'cus_missing', load)).toBeUndefined();
    expect(await cache.getOrLoad('customer', 'cus_missing', load)).toBeUndefined();
    expect(loads).toBe(2);
  });

  it('expires entries after the TTL', async () => {
    let loads = 0;
    const load = async () => ++loads;
    await cache.getOrLoad('customer', 'cus_ttl', load);
    await cache.getOrLoad('customer', 'cus_ttl', load);
    expect(loads).toBe(1);
    await sleep(1150);
    expect(await cache.getOrLoad('customer', 'cus_ttl', load)).toBe(2);
  });

  it('invalidate makes the next read load fresh data, and only for that key', async () => {
    let version = 1;
    const load = async () => ({ version });
    await cache.getOrLoad('customer', 'cus_a', load);
    await cache.getOrLoad('customer', 'cus_b', load);
    version = 2;
    await cache.invalidate('customer', 'cus_a');
    expect(await cache.getOrLoad('customer', 'cus_a', load)).toEqual({ version: 2 });
    expect(await cache.getOrLoad('customer', 'cus_b', load)).toEqual({ version: 1 });
  });

  it('keeps caches of the same id apart', async () => {
    await cache.getOrLoad('customer', 'x_1', async () => 'customer value');
    expect(await cache.getOrLoad('product', 'x_1', async () => 'product value')).toBe('product value');
    expect(cache.key('product', 'x_1')).toBe(`${service}:product:x_1`);
  });

  it('with TTL 0 is disabled: always loads, never counts', async () => {
    const off = new Cache({ service, redisUrl, ttlSeconds: 0, metrics, logger });
    let loads = 0;
    await off.getOrLoad('off', 'k', async () => ++loads);
    await off.getOrLoad('off', 'k', async () => ++loads);
    expect(loads).toBe(2);
    expect(off.status()).toBe('disabled');
    expect(await counts(metrics, 'off')).toEqual({ hits: 0, misses: 0 });
    await off.close();
  });
});

describe('Cache with Redis unreachable', () => {
  it('never fails a caller: every read is a miss that loads, status is degraded', async () => {
    // A proxy that refuses every connection: what a stopped Redis looks like.
    const proxy = await new TcpProxy('127.0.0.1', 9).start();
    proxy.cut();
    const metrics = createMetrics({ service: 'kit-test', defaultMetrics: false });
    const cache = new Cache({ service: 'kit-test-down', redisUrl: `redis://127.0.0.1:${proxy.port}`, ttlSeconds: 60, metrics, logger });
    try {
      let loads = 0;
      const started = Date.now();
      expect(await cache.getOrLoad('customer', 'cus_1', async () => ++loads)).toBe(1);
      expect(await cache.getOrLoad('customer', 'cus_1', async () => ++loads)).toBe(2);
      await expect(cache.invalidate('customer', 'cus_1')).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(cache.status()).toBe('degraded');
      expect(await counts(metrics, 'customer')).toEqual({ hits: 0, misses: 2 });
    } finally {
      await cache.close();
      await proxy.close();
    }
  });
});

/** A Redis-backed cache reached through a proxy the test can cut, and a way to wait for its status. */
async function proxiedCache(redisUrl: string) {
  const proxy = await TcpProxy.forUrl(redisUrl).start();
  const metrics = createMetrics({ service: 'kit-test', defaultMetrics: false });
  const cache = new Cache({ service: `kit-test-${Date.now().toString(36)}`, redisUrl: proxy.rewrite(redisUrl), ttlSeconds: 60, metrics, logger });
  const waitStatus = async (status: string) => {
    await until(async () => cache.status() === status, 8000);
    return cache.status();
  };
  return { proxy, cache, waitStatus };
}

// Recovery needs a Redis to come back to; without one the test above covers the degraded half.
const redisBackends = testRedisUrl() ? [testRedisUrl()!] : [];
for (const redisUrl of redisBackends) describe('Cache with Redis stopped and restarted mid-run', () => {
  it('degrades while Redis is away and resumes caching when it is back', async () => {
    const { proxy, cache, waitStatus } = await proxiedCache(redisUrl);
    try {
      expect(await waitStatus('ok')).toBe('ok');
      let loads = 0;
      await cache.getOrLoad('c', 'k', async () => ++loads);
      await cache.getOrLoad('c', 'k', async () => ++loads);
      expect(loads).toBe(1);

      proxy.cut();
      expect(await waitStatus('degraded')).toBe('degraded');
      expect(await cache.getOrLoad('c', 'k', async () => ++loads)).toBe(2);

      proxy.restore();
      expect(await waitStatus('ok')).toBe('ok');
      // The entry written before the outage is still in Redis.
      expect(await cache.getOrLoad('c', 'k', async () => ++loads)).toBe(1);
    } finally {
      await cache.close();
      await proxy.close();
    }
  });

  it('does not serve an entry whose invalidation failed while Redis was away', async () => {
    const { proxy, cache, waitStatus } = await proxiedCache(redisUrl);
    try {
      expect(await waitStatus('ok')).toBe('ok');
      let version = 1;
      const load = async () => ({ version });
      expect(await cache.getOrLoad('customer', 'cus_1', load)).toEqual({ version: 1 });

      proxy.cut();
      expect(await waitStatus('degraded')).toBe('degraded');
      version = 2; // the record changes in the database…
      await cache.invalidate('customer', 'cus_1'); // …and this cannot reach Redis

      proxy.restore();
      expect(await waitStatus('ok')).toBe('ok');
      expect(await cache.getOrLoad('customer', 'cus_1', load)).toEqual({ version: 2 });
    } finally {
      await cache.close();
      await proxy.close();
    }
  });
});

// Deadlines below stay under LIMITS.nearCacheSeconds (5 s): a copy that was not dropped would still be served.
for (const redisUrl of redisBackends) describe('Near cache: each replica keeps what it read from Redis', () => {
  let service: string;
  let raw: Redis;
  const replicas: Cache[] = [];
  const load = (value: unknown) => async () => value;

  /** A replica of `service` whose invalidation subscription is live. */
  async function replica(): Promise<Cache> {
    const cache = new Cache({ service, redisUrl, ttlSeconds: 60, metrics: createMetrics({ service: 'kit-test', defaultMetrics: false }), logger });
    replicas.push(cache);
    const subscribed = await until(async () => {
      const [, count] = (await raw.pubsub('NUMSUB', `${service}:invalidations`)) as [string, number];
      return count === replicas.length && cache.status() === 'ok';
    }, 5000);
    expect(subscribed).toBe(true);
    return cache;
  }

  /** What `cache` answers for the key right now (a load would answer 'loaded'). */
  const read = (cache: Cache, id = 'k') => cache.getOrLoad('c', id, load('loaded'));
  /** Changes the Redis entry behind every replica's back (no invalidation published). */
  const behind = (value: unknown, id = 'k') => raw.set(`${service}:c:${id}`, JSON.stringify(value), 'EX', 60);

  beforeEach(() => {
    service = `kit-near-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    raw = new Redis(redisUrl);
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((cache) => cache.close()));
    raw.disconnect();
  });

  it('answers a repeated read from its own copy, not from Redis, until told to drop everything', async () => {
    const a = await replica();
    expect(await a.getOrLoad('c', 'k', load({ v: 1 }))).toEqual({ v: 1 });
    await behind({ v: 'changed behind its back' });
    expect(await read(a)).toEqual({ v: 1 });
    // The message a bulk deletion (by prefix) publishes.
    await raw.publish(`${service}:invalidations`, '*');
    expect(await until(async () => JSON.stringify(await read(a)) === JSON.stringify({ v: 'changed behind its back' }))).toBe(true);
  });

  it('drops its copy when another replica invalidates the key', async () => {
    const a = await replica();
    const b = await replica();
    expect(await a.getOrLoad('c', 'k', load({ v: 1 }))).toEqual({ v: 1 });
    expect(await b.getOrLoad('c', 'k', load({ v: 'unused' }))).toEqual({ v: 1 });
    await b.invalidate('c', 'k'); // b changed the record
    expect(await until(async () => JSON.stringify(await a.getOrLoad('c', 'k', load({ v: 2 }))) === JSON.stringify({ v: 2 }))).toBe(true);
    expect(await b.getOrLoad('c', 'k', load({ v: 'unused' }))).toEqual({ v: 2 });
  });

  it('keeps a value read before a change out of both caches, when the change comes from this replica or another', async () => {
    const a = await replica();
    const b = await replica();
    for (const [who, invalidate] of [
      ['this replica', async () => a.invalidate('c', 'k')],
      [
        'another replica',
        async () => {
          // Messages arrive in order: once a has dropped "marker", it has also heard of "k".
          await a.getOrLoad('c', 'marker', load('kept'));
          await b.invalidate('c', 'k');
          await b.invalidate('c', 'marker');
          await behind('dropped', 'marker');
          expect(await until(async () => (await read(a, 'marker')) === 'dropped')).toBe(true);
        },
      ],
    ] as const) {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const reading = a.getOrLoad('c', 'k', async () => {
        await gate;
        return { v: `old, read before the change by ${who}` };
      });
      // The read is watched from its start: the change below reaches it whether it is at its Redis read or its load.
      await invalidate();
      release();
      expect(await reading).toEqual({ v: `old, read before the change by ${who}` });
      expect(await raw.get(`${service}:c:k`)).toBeNull();
      expect(await a.getOrLoad('c', 'k', load({ v: 'new' }))).toEqual({ v: 'new' });
      await a.invalidate('c', 'k');
    }
  });

  it('is not kept, and nothing is subscribed, when caching is off (TTL 0)', async () => {
    const off = new Cache({ service, redisUrl, ttlSeconds: 0, metrics: createMetrics({ service: 'kit-test', defaultMetrics: false }), logger });
    try {
      expect(await until(async () => off.redisClient()?.status === 'ready')).toBe(true);
      await replica(); // a caching replica of the same service: the subscriptions counted are its alone
      await sleep(200); // a subscriber of `off` would have connected by now (the caching replica's did)
      const [, count] = (await raw.pubsub('NUMSUB', `${service}:invalidations`)) as [string, number];
      expect(count).toBe(1);
    } finally {
      await off.close();
    }
  });

  it('stays off, and says so, when Redis refuses the subscription (an ACL without SUBSCRIBE)', async () => {
    const user = `${service}-nosub`;
    await raw.acl('SETUSER', user, 'on', 'nopass', '~*', '&*', '+@all', '-subscribe');
    const url = new URL(redisUrl);
    url.username = user;
    url.password = 'any';
    const own = createLogger({ service: 'kit-test', level: 'error' });
    const warn = jest.spyOn(own, 'warn');
    const cache = new Cache({ service, redisUrl: url.toString(), ttlSeconds: 60, metrics: createMetrics({ service: 'kit-test', defaultMetrics: false }), logger: own });
    try {
      expect(await until(async () => warn.mock.calls.some(([message]) => String(message).includes('could not subscribe to invalidations')), 5000)).toBe(true);
      expect(await cache.getOrLoad('c', 'k', load({ v: 1 }))).toEqual({ v: 1 });
      await behind({ v: 'changed behind its back' });
      expect(await read(cache)).toEqual({ v: 'changed behind its back' }); // read from Redis, not from a copy
    } finally {
      await cache.close();
      await raw.acl('DELUSER', user);
    }
  });

  it('turns off and empties itself while its subscription is down, and on again once subscribed', async () => {
    const a = await replica();
    expect(await a.getOrLoad('c', 'k', load({ v: 1 }))).toEqual({ v: 1 });
    const clients = String(await raw.client('LIST')).split('\n');
    const subscriber = clients.find((line) => line.includes(` name=${service}:near-cache `));
    expect(subscriber).toBeDefined();
    await raw.client('KILL', 'ID', /\bid=(\d+)/.exec(subscriber!)![1]);
    // Invalidations published now would be lost: the copy must not be served.
    await behind({ v: 'changed while unsubscribed' });
    expect(await until(async () => JSON.stringify(await read(a)) === JSON.stringify({ v: 'changed while unsubscribed' }))).toBe(true);
    // Subscribed again (ioredis reconnects by itself): reads are kept once more.
    let n = 0;
    const servedFromCopy = await until(async () => {
      const first = await read(a);
      await behind({ n: ++n });
      return JSON.stringify(await read(a)) === JSON.stringify(first);
    }, 5000);
    expect(servedFromCopy).toBe(true);
  });
});
