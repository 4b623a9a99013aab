import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type Redis from 'ioredis';
import type { PartyRef } from './tools';
import { LIMITS } from './limits';

/** Spends one request of `key`'s budget: undefined when it may go, else the seconds until it may. */
export type RateLimit = (key: string) => Promise<number | undefined>;

export interface RateLimitOptions {
  service: string;
  /** Requests per key per minute; 0 = unlimited (no limiter). */
  perMinute: number;
  /** Shares the budgets across replicas; without it each process counts alone. */
  redis?: Redis;
}

/** RATE_LIMIT_PER_MINUTE as a function; undefined when limiting is off. */
export function createRateLimit(options: RateLimitOptions): RateLimit | undefined {
  if (options.perMinute === 0) return undefined;
  const settings = { points: options.perMinute, duration: LIMITS.rateLimitWindowSeconds, keyPrefix: `${options.service}:rl` };
  const memory = new RateLimiterMemory(settings);
  // Shared across replicas through Redis; per process while Redis is away.
  const limiter = options.redis ? new RateLimiterRedis({ ...settings, storeClient: options.redis, insuranceLimiter: memory }) : memory;
  return async (key) => {
    try {
      await limiter.consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof Error) return undefined; // limiter store failure: serve rather than refuse
      return Math.max(1, Math.ceil(((rejection as { msBeforeNext?: number }).msBeforeNext ?? 1000) / 1000));
    }
  };
}

/**
 * Whose budget a request spends: its principal's client and subject. With
 * authorization on that is the token's `client_id` and `sub`, so two
 * callers behind one address have budgets of their own; in open mode every
 * caller is `anonymous` with its address as `client_id`, so it is per address.
 */
export function rateLimitKey(principal: PartyRef): string {
  return `${encodeURIComponent(principal.client_id)}:${encodeURIComponent(principal.sub)}`;
}
