import { InProcessService, postRaw, startInProcess } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';

type Service = Awaited<ReturnType<typeof createCustomerService>>;

const LIMIT = 5;
let svc: InProcessService<Service>;

beforeAll(async () => {
  svc = await startInProcess('customer', createCustomerService, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
}, 60_000);
afterAll(() => svc?.stop());

const listTools = (id: number) => postRaw(svc.mcpUrl, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: {} }), { 'mcp-protocol-version': '2025-06-18' });

describe('rate limiting (RATE_LIMIT_PER_MINUTE)', () => {
  it('answers 429 with a JSON-RPC RATE_LIMITED error and Retry-After once a client exceeds its budget', async () => {
    // With Redis the budget is shared by replicas and outlives this process: start from a clean window.
    const redis = svc.service.cache.redisClient();
    let alreadyUsed = 1; // the harness client's connect
    if (redis) {
      for (let i = 0; i < 100 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
      const keys = await redis.keys('customer:rl:*');
      if (keys.length) await redis.del(...keys);
      alreadyUsed = 0;
    }
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof listTools>> | undefined;
    for (let i = 0; i < LIMIT + 2 && !limited; i++) {
      const response = await listTools(i);
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT - alreadyUsed);
    expect(limited).toBeDefined();
    expect(limited!.contentType).toContain('application/json');
    const body = JSON.parse(limited!.text) as { jsonrpc: string; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe('2.0');
    expect(body.error.message).toContain('RATE_LIMITED');
    // Budgets are spent by admitted requests (the caller must be known to pick its budget).
    const retryAfter = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list', params: {} }),
    });
    expect(retryAfter.status).toBe(429);
    expect(Number(retryAfter.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('never limits the health, readiness and metrics endpoints', async () => {
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${svc.url}${path}`)).status).toBe(200);
  });
});
