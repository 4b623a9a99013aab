import Redis from 'ioredis';
import type { Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import { LIMITS } from './limits';

export type CacheStatus = 'ok' | 'degraded' | 'disabled';

/** Where cached values live: Redis, or this process's memory. */
interface CacheStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  status(): CacheStatus;
  close(): Promise<void>;
  client?: Redis;
}

class MemoryStore implements CacheStore {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  constructor(private readonly maxEntries: number = LIMITS.memoryCacheEntries) {}

  async get(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number) {
    // Map keeps insertion order: evict the oldest entry when full.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
  }

  async del(key: string) {
    this.entries.delete(key);
  }

  status(): CacheStatus {
    return 'ok';
  }

  async close() {
    this.entries.clear();
  }
}

/**
 * Redis store that never fails a caller: with Redis unreachable (at start or
 * mid-run) every operation answers "miss" at once and the status is degraded
 * until ioredis reconnects by itself.
 */
class RedisStore implements CacheStore {
  private readonly redis: Redis;
  get client(): Redis {
    return this.redis;
  }
  private degraded = false;
  /**
   * Keys whose invalidation could not reach Redis: their stored values are
   * stale, so they read as misses until the delete has gone through.
   */
  private readonly staleKeys = new Set<string>();
  /**
   * More failed invalidations than LIMITS.staleCacheKeys: rather than grow the
   * set without bound (or forget a key and serve stale data), every key of this
   * service's cache is treated as stale and deleted by prefix on reconnect.
   */
  private allStale = false;

  constructor(
    url: string,
    private readonly logger: Logger,
    /** Prefix of every cache key of this service (`<service>:`), for the bulk invalidation. */
    private readonly keyPrefix: string,
    private readonly maxStaleKeys: number = LIMITS.staleCacheKeys,
  ) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 300,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
    });
    this.redis.on('error', (error) => this.markDegraded(error));
    this.redis.on('ready', () => {
      if (this.degraded) this.logger.info('cache: Redis reachable again, caching resumed');
      this.degraded = false;
      void this.retryInvalidations();
    });
  }

  private markDegraded(error: unknown) {
    if (!this.degraded) {
      this.logger.warn('cache: Redis unavailable, serving without cache', { error: error instanceof Error ? error.message : String(error) });
    }
    this.degraded = true;
  }

  private async guard<T>(fallback: T, op: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') return fallback;
    try {
      return await op();
    } catch (error) {
      this.markDegraded(error);
      return fallback;
    }
  }

  private async retryInvalidations() {
    if (this.allStale && (await this.deleteAllKeys())) {
      this.allStale = false;
      this.staleKeys.clear();
      return;
    }
    for (const key of [...this.staleKeys]) {
      const deleted = await this.guard(false, async () => {
        await this.redis.del(key);
        return true;
      });
      if (deleted) this.staleKeys.delete(key);
    }
  }

  /** Deletes every key under this service's prefix (SCAN, not KEYS: Redis stays responsive). */
  private deleteAllKeys(): Promise<boolean> {
    return this.guard(false, async () => {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 500);
        if (keys.length) await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      return true;
    });
  }

  get(key: string) {
    if (this.allStale || this.staleKeys.has(key)) return Promise.resolve(undefined);
    return this.guard(undefined, async () => (await this.redis.get(key)) ?? undefined);
  }

  set(key: string, value: string, ttlSeconds: number) {
    return this.guard(undefined, async () => {
      await this.redis.set(key, value, 'EX', ttlSeconds);
    });
  }

  async del(key: string) {
    const deleted = await this.guard(false, async () => {
      await this.redis.del(key);
      return true;
    });
    if (!deleted) {
      if (this.staleKeys.size >= this.maxStaleKeys) this.allStale = true;
      else this.staleKeys.add(key);
      this.logger.warn('cache: could not invalidate while Redis is down; the entry is bypassed until Redis is back', { key });
    }
  }

  status(): CacheStatus {
    return this.redis.status === 'ready' && !this.degraded ? 'ok' : 'degraded';
  }

  async close() {
    this.redis.disconnect();
  }
}

export interface CacheOptions {
  service: string;
  redisUrl?: string;
  ttlSeconds: number;
  metrics: ServiceMetrics;
  logger: Logger;
}

/**
 * Cache-aside with deterministic keys `<service>:<cache>:<id>`, a TTL, explicit
 * invalidation and hit/miss metrics. A cache problem never fails a tool call.
 */
export class Cache {
  private readonly store: CacheStore;

  constructor(private readonly options: CacheOptions) {
    this.store = options.redisUrl ? new RedisStore(options.redisUrl, options.logger, `${options.service}:`) : new MemoryStore();
  }

  key(cache: string, id: string): string {
    return `${this.options.service}:${cache}:${id}`;
  }

  /** Returns the cached value of `cache`/`id`, or loads, stores and returns it. */
  async getOrLoad<T>(cache: string, id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.options.ttlSeconds === 0) return load();
    const key = this.key(cache, id);
    const cached = await this.store.get(key);
    if (cached !== undefined) {
      this.options.metrics.cacheHits.inc({ cache });
      return JSON.parse(cached) as T;
    }
    this.options.metrics.cacheMisses.inc({ cache });
    const value = await load();
    if (value !== undefined) await this.store.set(key, JSON.stringify(value), this.options.ttlSeconds);
    return value;
  }

  /** Drops `cache`/`id` so the next read loads fresh data. */
  invalidate(cache: string, id: string): Promise<void> {
    if (this.options.ttlSeconds === 0) return Promise.resolve();
    return this.store.del(this.key(cache, id));
  }

  /** The Redis connection, when there is one (shared with the rate limiter). */
  redisClient(): Redis | undefined {
    return this.store.client;
  }

  status(): CacheStatus {
    return this.options.ttlSeconds === 0 ? 'disabled' : this.store.status();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
