import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { TcpProxy, connectClient, dropTestDatabases, runServiceToExit, serviceTestEnv, spawnService, testPgUrl } from '@fedmcp/testing';
import { GET_CUSTOMER, SEARCH_CUSTOMERS } from '../src/customer.tools';
import type { Customer } from '../src/customer.repository';
import { newCustomer } from './fixtures';

jest.setTimeout(60_000);

afterAll(() => dropTestDatabases());

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'customer-test-'));
  tempDirs.push(dir);
  return dir;
}

function parsedLines(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** One raw 2025-era tools/call whose body arrives in two halves, `gapMs` apart. */
function slowUpload(url: string, body: string, gapMs: number, midway: () => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    setTimeout(midway, 100);
    setTimeout(() => req.end(body.slice(half)), gapMs);
  });
}

/**
 * With PostgreSQL, the database itself is made slow (a TcpProxy with a delay
 * in front of it). Embedded PGlite runs inside the process and cannot be
 * slowed from outside, so the request is made slow instead: its body arrives
 * in two halves with SIGTERM sent in between.
 */
describe('SIGTERM during an in-flight call', () => {
  if (testPgUrl()) {
    it('lets a call on a slow database finish successfully, then exits 0', async () => {
      const env = await serviceTestEnv('customer', { LOG_LEVEL: 'info' });
      const proxy = await TcpProxy.forUrl(env.DATABASE_URL!).start();
      try {
        const proc = await spawnService('customer', { ...env, DATABASE_URL: proxy.rewrite(env.DATABASE_URL!) });
        const client = await connectClient(proc.mcpUrl, 'modern');
        const customer = await newCustomer(client);
        proxy.delayMs = 600; // each way: a query now takes over a second

        const started = Date.now();
        const pending = client.call<{ items: Customer[] }>(SEARCH_CUSTOMERS, { query: customer.email });
        await new Promise((r) => setTimeout(r, 300));
        proc.signal('SIGTERM');
        const result = await pending;
        const took = Date.now() - started;

        expect(result.isError).toBe(false);
        expect(result.data.items.map((c) => c.customer_id)).toEqual([customer.customer_id]);
        expect(took).toBeGreaterThan(1000); // it really was in flight when the signal came
        expect(await proc.exited).toBe(0);
        const messages = parsedLines(proc.lines).map((l) => l.message);
        expect(messages).toContain('shutting down');
        expect(messages.indexOf('shutting down')).toBeLessThan(messages.lastIndexOf('tool call'));
        await client.close().catch(() => undefined);
      } finally {
        await proxy.close();
      }
    });
  } else {
    it('lets a call whose request is still arriving finish successfully, then exits 0', async () => {
      const env = await serviceTestEnv('customer', { LOG_LEVEL: 'info' });
      const proc = await spawnService('customer', env);
      const client = await connectClient(proc.mcpUrl, 'modern');
      const customer = await newCustomer(client);
      await client.close();

      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: GET_CUSTOMER, arguments: { customer_id: customer.customer_id } } });
      const response = await slowUpload(proc.mcpUrl, body, 1000, () => proc.signal('SIGTERM'));

      expect(response.status).toBe(200);
      const payload = response.text.includes('data:') ? response.text.split('\n').find((l) => l.startsWith('data:'))!.slice(5) : response.text;
      const message = JSON.parse(payload);
      expect(message.result.isError).toBeFalsy();
      expect(message.result.structuredContent).toEqual(customer);
      expect(await proc.exited).toBe(0);
      const messages = parsedLines(proc.lines).map((l) => l.message);
      expect(messages).toContain('shutting down');
      expect(messages.indexOf('shutting down')).toBeLessThan(messages.lastIndexOf('tool call'));
    });
  }
});

describe('embedded mode (no DATABASE_URL)', () => {
  it('seeds about fifty demo customers once, serves them, and keeps writes across a restart', async () => {
    const dataDir = tempDir();
    const env = { HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir };

    const first = await spawnService('customer', env);
    let client = await connectClient(first.mcpUrl, 'modern');
    const seeded = await client.ok<{ items: Customer[]; next_cursor: string | null }>(SEARCH_CUSTOMERS, { limit: 100 });
    expect(seeded.items.length).toBeGreaterThanOrEqual(40);
    expect(seeded.items.length).toBeLessThanOrEqual(60);
    expect(seeded.next_cursor).toBeNull();
    expect(seeded.items.some((c) => c.status !== 'active')).toBe(true);
    expect(await client.ok<Customer>(GET_CUSTOMER, { customer_id: seeded.items[0].customer_id })).toEqual(seeded.items[0]);
    expect(parsedLines(first.lines).filter((l) => l.message === 'seeded demo customers')).toEqual([expect.objectContaining({ count: seeded.items.length })]);
    expect(fs.existsSync(path.join(dataDir, 'customer'))).toBe(true);

    const created = await newCustomer(client, { name: 'Survives Restart' });
    await client.close();
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await spawnService('customer', env);
    try {
      client = await connectClient(second.mcpUrl, 'modern');
      expect(await client.ok<Customer>(GET_CUSTOMER, { customer_id: created.customer_id })).toEqual(created);
      const after = await client.ok<{ items: Customer[] }>(SEARCH_CUSTOMERS, { limit: 100 });
      expect(after.items.length).toBe(seeded.items.length + 1);
      expect(parsedLines(second.lines).some((l) => l.message === 'seeded demo customers')).toBe(false);
      await client.close();
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

describe('bad configuration', () => {
  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'memcached://cache'],
  ])('%s=%s stops the process with exit code 1 and one stderr line naming it', async (variable, value) => {
    const result = await runServiceToExit('customer', { HOST: '127.0.0.1', DATA_DIR: 'memory://', [variable]: value });
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toContain(variable);
    expect(result.stderr[0]).toContain(value);
    expect(result.stderr[0]).not.toMatch(/\bat .*\.js/);
  });
});
