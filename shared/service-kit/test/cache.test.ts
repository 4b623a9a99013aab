import { TcpProxy, testRedisUrl } from '@fedmcp/testing';
import { createLogger, createMetrics, ServiceMetrics } from '@fedmcp/instrumentation';
import { Cache } from '../src';

const logger = createLogger({ service: 'kit-test', level: 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    if (redisUrl) {
      const deadline = Date.now() + 5000;
      while (cache.redisClient()?.status !== 'ready' && Date.now() < deadline) await sleep(20);
    }
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
    const deadline = Date.now() + 8000;
    while (cache.status() !== status && Date.now() < deadline) await sleep(50);
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
