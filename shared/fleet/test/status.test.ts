import { checkService, exitCode, formatTable, main, parseArgs } from '../src/status';
import { FLEET } from '../src/services';
import { FakeService, closedPort, startFakeService } from './fake-server';

describe('fleet status', () => {
  let healthy: FakeService;
  let degraded: FakeService;
  let notReady: FakeService;
  let slow: FakeService;
  let downUrl: string;

  beforeAll(async () => {
    healthy = await startFakeService({ tools: ['a', 'b', 'c'] });
    degraded = await startFakeService({
      ready: { status: 200, body: { status: 'degraded', checks: { database: 'ok', cache: 'degraded' } } },
    });
    notReady = await startFakeService({
      ready: { status: 503, body: { status: 'not_ready', checks: { database: 'error', cache: 'ok' } } },
    });
    slow = await startFakeService({ delayMs: 2000 });
    downUrl = `http://127.0.0.1:${await closedPort()}`;
  });

  afterAll(async () => {
    await Promise.all([healthy, degraded, notReady, slow].map((s) => s?.close()));
  });

  it('reports a healthy service as up with its tool count', async () => {
    const r = await checkService({ service: 'customer', url: healthy.url }, { timeoutMs: 3000 });
    expect(r).toMatchObject({ service: 'customer', url: healthy.url, status: 'up', tools: 3, degraded: [], readiness: 'ready' });
    expect(r.checks.health.ok && r.checks.ready.ok && r.checks.tools_list.ok).toBe(true);
    expect(r.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('reports degraded dependencies', async () => {
    const r = await checkService({ service: 'product', url: degraded.url }, { timeoutMs: 3000 });
    expect(r.status).toBe('degraded');
    expect(r.degraded).toEqual(['cache:degraded']);
    expect(r.tools).toBe(2);
  });

  it('reports a not-ready service (503) as down', async () => {
    const r = await checkService({ service: 'payment', url: notReady.url }, { timeoutMs: 3000 });
    expect(r.status).toBe('down');
    expect(r.error).toMatch(/ready: HTTP 503/);
    expect(r.degraded).toEqual(['database:error']);
  });

  it('reports an unreachable service as down', async () => {
    const r = await checkService({ service: 'order', url: downUrl }, { timeoutMs: 3000 });
    expect(r.status).toBe('down');
    expect(r.tools).toBeNull();
    expect(r.error).toMatch(/^health: /);
  });

  it('bounds every check by the timeout', async () => {
    const start = Date.now();
    const r = await checkService({ service: 'order', url: slow.url }, { timeoutMs: 300 });
    expect(Date.now() - start).toBeLessThan(1500);
    expect(r.status).toBe('down');
    expect(r.error).toMatch(/timeout/);
  });

  it('main prints a table and exits 1 when one service is down', async () => {
    let out = '';
    const code = await main(
      ['--url', `customer=${healthy.url}`, '--url', `product=${degraded.url}`, '--timeout', '2000'],
      { ORDER_URL: downUrl, PAYMENT_URL: healthy.url },
      (t) => (out += t),
      () => undefined,
    );
    expect(code).toBe(1);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+URL\s+STATUS\s+LATENCY\s+TOOLS\s+DEGRADED \/ ERROR$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row('customer')).toMatch(/\bup\b.*\bms\s+3\s+-$/);
    expect(row('order')).toMatch(/\bdown\b/);
    expect(row('order')).toContain(downUrl);
    expect(row('product')).toMatch(/\bdegraded\b.*cache:degraded/);
    expect(row('payment')).toMatch(/\bup\b/);
    expect(out).toContain('2 up, 1 degraded, 1 down');
  });

  it('main exits 0 when nothing is down, and --strict fails on degraded', async () => {
    const env = { CUSTOMER_URL: healthy.url, ORDER_URL: healthy.url, PRODUCT_URL: degraded.url, PAYMENT_URL: healthy.url };
    const sink = () => undefined;
    expect(await main([], env, sink, sink)).toBe(0);
    expect(await main(['--strict'], env, sink, sink)).toBe(2);
  });

  it('--json prints machine-readable results', async () => {
    let out = '';
    const code = await main(['--json', '--only', 'customer,order', `--url=customer=${healthy.url}`, `--url=order=${downUrl}`], {}, (t) => (out += t));
    expect(code).toBe(1);
    const parsed = JSON.parse(out) as { services: Array<{ service: string; status: string; tools: number | null }>; exit_code: number };
    expect(parsed.exit_code).toBe(1);
    expect(parsed.services.map((s) => [s.service, s.status, s.tools])).toEqual([
      ['customer', 'up', 3],
      ['order', 'down', null],
    ]);
  });

  it('the real CLI exits non-zero against a fleet with nothing running', async () => {
    // Only run the compiled entry point when it has been built; the logic is covered above.
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const path = await import('node:path');
    const entry = path.join(__dirname, '..', 'dist', 'status.js');
    if (!fs.existsSync(entry)) return;
    const base = `http://127.0.0.1:${await closedPort()}`;
    const env = Object.fromEntries(FLEET.map((s) => [s.urlEnv, base]));
    const res = spawnSync(process.execPath, [entry, '--timeout', '1000'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('0 up, 0 degraded, 4 down');
  });
});

describe('parseArgs', () => {
  it('defaults to 127.0.0.1 and the manifest ports', () => {
    const o = parseArgs([], {});
    expect(o.targets).toEqual([
      { service: 'customer', url: 'http://127.0.0.1:3001' },
      { service: 'order', url: 'http://127.0.0.1:3002' },
      { service: 'product', url: 'http://127.0.0.1:3003' },
      { service: 'payment', url: 'http://127.0.0.1:3004' },
    ]);
    expect(o.timeoutMs).toBe(3000);
    expect(o.json).toBe(false);
  });

  it('--base-url keeps each port; env and --url override one service', () => {
    const o = parseArgs(['--base-url', 'http://fleet.internal', '--url', 'payment=https://pay.example/'], {
      ORDER_URL: 'http://10.0.0.9:9999',
    });
    expect(o.targets.map((t) => t.url)).toEqual([
      'http://fleet.internal:3001',
      'http://10.0.0.9:9999',
      'http://fleet.internal:3003',
      'https://pay.example',
    ]);
  });

  it('FLEET_BASE_URL and FLEET_STATUS_TIMEOUT_MS come from the environment', () => {
    const o = parseArgs([], { FLEET_BASE_URL: 'http://localhost', FLEET_STATUS_TIMEOUT_MS: '500' });
    expect(o.targets[0].url).toBe('http://localhost:3001');
    expect(o.timeoutMs).toBe(500);
  });

  it('rejects bad input with a clear message', () => {
    expect(() => parseArgs(['--timeout', '0'], {})).toThrow(/--timeout/);
    expect(() => parseArgs(['--url', 'nope=http://x'], {})).toThrow(/unknown service "nope"/);
    expect(() => parseArgs(['--frobnicate'], {})).toThrow(/unknown option/);
    expect(() => parseArgs(['--base-url', 'not a url'], {})).toThrow(/not a URL/);
  });

  it('exitCode and formatTable', () => {
    expect(exitCode([])).toBe(0);
    expect(formatTable([])).toContain('0 up, 0 degraded, 0 down');
  });
});
