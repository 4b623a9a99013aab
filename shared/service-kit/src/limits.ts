/**
 * Every in-process collection that grows with traffic, and what bounds it.
 * A long-running replica must keep a flat heap whatever its clients send, so
 * anything keyed by request data (ids, client addresses, method names, tokens)
 * gets a size cap or an expiry here, in one place, instead of a literal next to
 * its map. Collections with a fixed size (one circuit breaker per upstream, one
 * metric series per registered tool) are listed too, with why they cannot grow.
 */
export const LIMITS = {
  /**
   * In-process cache (no REDIS_URL): entries kept; the oldest is evicted
   * first. Entries also expire after CACHE_TTL_SECONDS.
   */
  memoryCacheEntries: 10_000,
  /**
   * With Redis: entries this process keeps of what it read from Redis (its
   * near cache), the oldest evicted first, each for at most
   * nearCacheSeconds (or CACHE_TTL_SECONDS, if shorter). The reads in
   * flight it tracks (so an invalidation that arrives during one keeps its
   * stale value out) are bounded by concurrency: each leaves when it ends.
   */
  nearCacheEntries: 10_000,
  nearCacheSeconds: 5,
  /**
   * Access tokens whose signature and claims verified, kept so a client's
   * next request with the same token skips the signature check: at most this
   * many (the oldest is dropped first), each until its exp or for
   * verifiedTokenSeconds, whichever comes first.
   */
  verifiedTokens: 5_000,
  /**
   * Idle MCP server instances kept for reuse by 2026-07-28 exchanges (each
   * serves one exchange at a time; past this many concurrent exchanges the
   * extra instances are built and dropped instead of kept).
   */
  idleMcpServers: 64,
  /** How long a verified token is trusted without checking its signature again (a key the issuer withdraws stops counting after this). */
  verifiedTokenSeconds: 60,
  /**
   * Cache keys whose invalidation could not reach Redis (they read as misses
   * until the delete goes through). Past this many, the whole cache of the
   * service is bypassed and its keys are deleted by prefix on reconnect.
   */
  staleCacheKeys: 10_000,
  /**
   * Rate limiter without Redis (or while Redis is away): one entry per client
   * address, each expiring after the 60 s window (rate-limiter-flexible's
   * memory store deletes it with a timer). Bounded by expiry, not by count.
   */
  rateLimitWindowSeconds: 60,
  /**
   * `method` label of mcp_requests_total: the JSON-RPC method comes from the
   * client, so only the MCP methods below get their own series and anything
   * else is counted as `other` (a prom-client series lives forever).
   */
  requestMethodLabels: [
    'initialize',
    'ping',
    'server/discover',
    'tools/list',
    'tools/call',
    'resources/list',
    'resources/templates/list',
    'resources/read',
    'resources/subscribe',
    'resources/unsubscribe',
    'subscriptions/listen',
    'prompts/list',
    'prompts/get',
    'completion/complete',
    'logging/setLevel',
    'tasks/get',
    'tasks/list',
    'tasks/result',
    'tasks/cancel',
    'notifications/initialized',
    'notifications/cancelled',
    'notifications/progress',
    'notifications/roots/list_changed',
    'batch',
    'unknown',
    'GET',
    'DELETE',
    'POST',
  ] as readonly string[],
  // Fixed by construction, listed so nobody has to look: one McpUpstream (client,
  // circuit breaker, retry policy) per configured upstream; tool/server/cache/
  // operation metric labels come from code (registered tools, SQL verbs), never
  // from request data.
} as const;

const KNOWN_METHODS = new Set(LIMITS.requestMethodLabels);

/** The `method` label for a JSON-RPC method name from a client (bounded cardinality). */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}
