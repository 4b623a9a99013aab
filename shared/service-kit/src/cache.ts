import Redis from 'ioredis';
import type { Logger, ServiceMetrics } from '@fedmcp/instrumentation';
import { LIMITS } from './limits';

export type CacheStatus = 'ok' | 'degraded' | 'disabled';

/**
 * One read of a key in flight: its value may be stored once the read ends.
 * `stale` turns true when the key is invalidated meanwhile (by this process
 * or, through Redis, by another replica): the value read before the change
 * must then not be stored, here or in Redis.
 */
interface Fill {
  stale: boolean;
  end(): void;
}

const NEVER_STALE: Fill = { stale: false, end: () => undefined };

/** Where cached values live: Redis, or this process's memory. */
interface CacheStore {
  /** Starts watching `key` for the read about to happen. */
  watch(key: string): Fill;
  get(key: string, fill: Fill): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number, fill: Fill): Promise<void>;
  del(key: string): Promise<void>;
  status(): CacheStatus;
  close(): Promise<void>;
  client?: Redis;
}

/** Strings kept in this process: at most `max`, the oldest evicted first (a Map keeps insertion order), each until it expires. */
class ExpiringEntries {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  constructor(private readonly max: number) {}

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Stores `key` as the newest entry; a key stored again replaces its old entry rather than evicting another. */
  set(key: string, value: string, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

class MemoryStore implements CacheStore {
  private readonly entries: ExpiringEntries;
  constructor(maxEntries: number = LIMITS.memoryCacheEntries) {
    this.entries = new ExpiringEntries(maxEntries);
  }

  /** One process, one copy: a read and an invalidation cannot interleave on it in a way a fill could miss. */
  watch(): Fill {
    return NEVER_STALE;
  }

  async get(key: string) {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number) {
    this.entries.set(key, value, ttlSeconds * 1000);
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

/** Every entry of the near cache, as one invalidation message: never a key (keys are `<service>:<cache>:<id>`). */
const ALL_KEYS = '*';

/**
 * This process's copy of entries it read from Redis: a hit costs no Redis
 * round trip (and no span). Every replica of the service subscribes to the
 * service's invalidation channel, and every invalidation is published there
 * right after its DEL, so a replica drops its copy when another one changes
 * the record. Messages are only delivered to a live subscription: while the
 * subscriber connection is down the near cache is off and empty, and it comes
 * back on only once subscribed again, so no invalidation can slip past it.
 */
class NearCache {
  private readonly entries = new ExpiringEntries(LIMITS.nearCacheEntries);
  /** Reads in flight by key (see {@link Fill}). */
  private readonly fills = new Map<string, Set<Fill>>();
  private live = false;

  constructor(private readonly ttlMs: number) {}

  get(key: string): string | undefined {
    return this.live ? this.entries.get(key) : undefined;
  }

  /** Keeps `value` unless the key changed since `fill` began. */
  remember(key: string, value: string, fill: Fill): void {
    if (this.live && !fill.stale) this.entries.set(key, value, this.ttlMs);
  }

  watch(key: string): Fill {
    const fills = this.fills;
    let set = fills.get(key);
    if (!set) fills.set(key, (set = new Set()));
    const fill: Fill = {
      stale: false,
      end() {
        set.delete(fill);
        if (set.size === 0 && fills.get(key) === set) fills.delete(key);
      },
    };
    set.add(fill);
    return fill;
  }

  /** `key` (or every key, for {@link ALL_KEYS}) changed: forget it, and mark the reads in flight stale. */
  drop(key: string): void {
    if (key === ALL_KEYS) {
      this.entries.clear();
      for (const set of this.fills.values()) for (const fill of set) fill.stale = true;
      return;
    }
    this.entries.delete(key);
    for (const fill of this.fills.get(key) ?? []) fill.stale = true;
  }

  /** Subscribed: entries read from now on are kept. */
  on(): void {
    this.live = true;
  }

  /** Not subscribed (messages may be lost): empty, and nothing read now may be kept. */
  off(): void {
    this.live = false;
    this.drop(ALL_KEYS);
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
  private readonly near: NearCache;
  /** The connection that receives invalidations (a subscribed connection runs no other command); none at TTL 0. */
  private readonly subscriber: Redis | undefined;
  /** Where this service's invalidations are published: `<service>:invalidations`. */
  readonly channel: string;

  constructor(
    url: string,
    private readonly logger: Logger,
    /** Prefix of every cache key of this service (`<service>:`), for the bulk invalidation. */
    private readonly keyPrefix: string,
    ttlSeconds: number,
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
    this.near = new NearCache(Math.min(ttlSeconds, LIMITS.nearCacheSeconds) * 1000);
    this.channel = `${keyPrefix}invalidations`;
    // CACHE_TTL_SECONDS=0 (Redis only for the rate limiter): nothing is kept, so nothing to hear about.
    this.subscriber = ttlSeconds > 0 ? this.listen() : undefined;
  }

  /** The subscriber connection, subscribed by hand on every (re)connect so the near cache turns on only once SUBSCRIBE has answered. */
  private listen(): Redis {
    const subscriber = this.redis.duplicate({ autoResubscribe: false, connectionName: `${this.keyPrefix}near-cache` });
    subscriber.on('error', () => undefined); // the main connection reports Redis being away
    subscriber.on('close', () => this.near.off());
    subscriber.on('ready', () => void this.subscribe(subscriber));
    subscriber.on('message', (_channel: string, key: string) => this.near.drop(key));
    return subscriber;
  }

  private async subscribe(subscriber: Redis) {
    try {
      await subscriber.subscribe(this.channel);
      this.near.on();
    } catch (error) {
      // Not subscribed (say an ACL without SUBSCRIBE): every read goes to Redis until the next reconnect.
      this.logger.warn('cache: could not subscribe to invalidations; reading every entry from Redis', { channel: this.channel, error: error instanceof Error ? error.message : String(error) });
    }
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
      if (await this.deleteAndPublish(key)) this.staleKeys.delete(key);
    }
  }

  /** DEL `key`, then tell every replica to drop its copy (one round trip; DEL runs first). */
  private deleteAndPublish(key: string): Promise<boolean> {
    return this.guard(false, async () => {
      const replies = await this.redis.pipeline().del(key).publish(this.channel, key).exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      return true;
    });
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
      await this.redis.publish(this.channel, ALL_KEYS);
      return true;
    });
  }

  watch(key: string): Fill {
    return this.near.watch(key);
  }

  get(key: string, fill: Fill) {
    if (this.allStale || this.staleKeys.has(key)) return Promise.resolve(undefined);
    if (this.status() === 'ok') {
      const near = this.near.get(key);
      if (near !== undefined) return Promise.resolve(near);
    }
    return this.guard(undefined, async () => {
      const value = (await this.redis.get(key)) ?? undefined;
      if (value !== undefined) this.near.remember(key, value, fill);
      return value;
    });
  }

  set(key: string, value: string, ttlSeconds: number, fill: Fill) {
    if (fill.stale) return Promise.resolve(); // loaded before a change this process has heard of: not worth keeping
    return this.guard(undefined, async () => {
      await this.redis.set(key, value, 'EX', ttlSeconds);
      this.near.remember(key, value, fill);
    });
  }

  async del(key: string) {
    this.near.drop(key);
    const deleted = await this.deleteAndPublish(key);
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
    this.subscriber?.disconnect();
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
    this.store = options.redisUrl ? new RedisStore(options.redisUrl, options.logger, `${options.service}:`, options.ttlSeconds) : new MemoryStore();
  }

  key(cache: string, id: string): string {
    return `${this.options.service}:${cache}:${id}`;
  }

  /** Returns the cached value of `cache`/`id`, or loads, stores and returns it. */
  async getOrLoad<T>(cache: string, id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (this.options.ttlSeconds === 0) return load();
    const key = this.key(cache, id);
    const fill = this.store.watch(key);
    try {
      const cached = await this.store.get(key, fill);
      if (cached !== undefined) {
        this.options.metrics.cacheHits.inc({ cache });
        return JSON.parse(cached) as T;
      }
      this.options.metrics.cacheMisses.inc({ cache });
      const value = await load();
      if (value !== undefined) await this.store.set(key, JSON.stringify(value), this.options.ttlSeconds, fill);
      return value;
    } finally {
      fill.end();
    }
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
