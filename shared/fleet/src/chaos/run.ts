/**
 * The chaos run: the whole platform on PostgreSQL and Redis, every database,
 * Redis and every upstream behind its own TCP proxy, order traffic from 16
 * concurrent clients; each fault of the matrix in turn is injected, healed,
 * and followed by a recovery window, then the traffic stops, open answers are
 * resolved, and the invariants are checked with the reconciler.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Platform, PlatformService, ServiceProcess, TcpProxy, TestClient, connectClient, dropTestDatabases, startPlatform, terminateConnections, testPgUrl, testRedisUrl } from '@fedmcp/testing';
import type { Violation } from '@fedmcp/order/dist/reconcile/snapshot';
import { RemoteToolError, ToolCaller, reconcileFleet } from '../reconcile';
import { FAULTS, Fault, FaultContext, Upstream } from './faults';
import { LoadGenerator, OrderRequest, Stock, placeOrder } from './load';
import { FaultResult, Resolution, isOpen, tally } from './tally';

export interface Durations {
  /** Traffic before the fault. */
  warmupMs: number;
  /** How long each fault lasts. */
  faultMs: number;
  /** Traffic after healing. */
  recoveryMs: number;
  /** Longest wait for the platform to settle (no pending order, reconciler clean). */
  settleMs: number;
  /** Units of the hot product for each fault. */
  hotStock: number;
}

export const DURATIONS: Record<'ci' | 'full', Durations> = {
  ci: { warmupMs: 1000, faultMs: 3000, recoveryMs: 4000, settleMs: 45_000, hotStock: 20 },
  full: { warmupMs: 5000, faultMs: 10_000, recoveryMs: 20_000, settleMs: 90_000, hotStock: 60 },
};

/** Order-service settings of the run: a short lease and recovery interval so interrupted sagas are picked up within the recovery window. */
export const ORDER_SETTINGS = { ORDER_LEASE_MS: '5000', RECOVERY_INTERVAL_MS: '2000' };

export interface ChaosOptions {
  durations: Durations;
  /** Concurrent clients placing orders. */
  clients?: number;
  /** Only these faults (by name); default all. */
  only?: string[];
  log?: (line: string) => void;
  /** Where every service process's output goes at the end (one file per process), for diagnosis. */
  logsDir?: string;
}

export interface ChaosReport {
  mode_durations: Durations;
  clients: number;
  order_settings: typeof ORDER_SETTINGS;
  started_at: string;
  duration_s: number;
  faults: FaultResult[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ToolCaller over the platform's test clients (the reconciler's view of it). */
function callerOf(platform: Platform): ToolCaller {
  return async (service, tool, args) => {
    const result = await platform.clients[service].call(tool, args);
    if (result.isError) throw new RemoteToolError(result.error?.code ?? 'INTERNAL', `${service} ${tool}: ${result.error?.message ?? result.text}`);
    return result.data;
  };
}

/** Every order's status; a few tries, since the order service may still be recovering (empty when it never answers). */
async function allOrders(client: TestClient, log: (line: string) => void): Promise<Map<string, string>> {
  let last: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) await sleep(1000);
    try {
      const pages = await client.pages<{ order_id: string; status: string }>('list_orders', { limit: 100 }, 100_000);
      return new Map(pages.flatMap((p) => p.items).map((o) => [o.order_id, o.status]));
    } catch (error) {
      last = error;
    }
  }
  log(`  could not list the orders: ${(last as Error).message}`);
  return new Map();
}

/** A process that exited although nobody stopped it. */
const hasExited = (p: ServiceProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

/**
 * Repeats an open attempt with its idempotency key (up to five times while
 * the answer is no answer, an error or an order still pending); tells whether the original had placed the order.
 */
async function resolve(client: TestClient, request: OrderRequest, since: number): Promise<Resolution> {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await sleep(1000);
    const answer = await placeOrder(client, request);
    if (answer.kind !== 'order') {
      last = answer.kind === 'tool_error' ? answer.code : answer.error;
      continue;
    }
    const order = await client.call<{ status: string; created_at: string }>('get_order', { order_id: answer.order_id }).catch((error: Error) => ({ isError: true, error: { code: error.message }, data: { status: '', created_at: '' } }));
    if (order.isError || order.data.status === 'pending') {
      last = order.isError ? (order.error?.code ?? 'get_order failed') : 'still pending';
      continue;
    }
    return { status: order.data.status, order_id: answer.order_id, placed_by_original: Date.parse(order.data.created_at) < since };
  }
  return { error: last };
}

class ChaosRun {
  private readonly proxies: FaultContext['proxies'];
  /** Database name of each service (for pg_terminate_backend). */
  private readonly databases = new Map<PlatformService, string>();
  private platform!: Platform;
  private loadClients: TestClient[] = [];
  private stock!: Stock;
  private readonly baseline = new Map<string, number>();
  private phase = 0;

  constructor(private readonly options: Required<Omit<ChaosOptions, 'only' | 'logsDir'>> & Pick<ChaosOptions, 'only' | 'logsDir'>) {
    const redis = testRedisUrl()!;
    this.proxies = { redis: TcpProxy.forUrl(redis), database: {} as Record<PlatformService, TcpProxy>, upstream: {} as Record<Upstream, TcpProxy> };
  }

  async start(): Promise<void> {
    await this.proxies.redis.start();
    this.platform = await startPlatform({
      env: { LOG_LEVEL: 'warn', REDIS_URL: this.proxies.redis.rewrite(testRedisUrl()!) },
      serviceEnv: { order: ORDER_SETTINGS },
      databaseUrl: async (name, url) => {
        this.databases.set(name, new URL(url).pathname.slice(1));
        this.proxies.database[name] = await TcpProxy.forUrl(url).start();
        return this.proxies.database[name].rewrite(url);
      },
      upstreamUrl: async (name, url) => {
        this.proxies.upstream[name] = await TcpProxy.forUrl(url).start();
        return this.proxies.upstream[name].rewrite(url);
      },
    });
    this.loadClients = await Promise.all(Array.from({ length: this.options.clients }, () => connectClient(this.platform.processes.order.mcpUrl)));
    const { customer, product } = this.platform.clients;
    const tag = Date.now().toString(36);
    const customers: string[] = [];
    for (let i = 0; i < 4; i++) customers.push((await customer.ok<{ customer_id: string }>('create_customer', { name: `Chaos buyer ${i}`, email: `chaos-${tag}-${i}@example.com` })).customer_id);
    const spread: string[] = [];
    for (let i = 0; i < 20; i++) spread.push(await this.newProduct(`CHAOS-${tag}-S${i}`, 100_000));
    this.stock = { customers, spread, hot: '' };
  }

  private async newProduct(sku: string, stock: number): Promise<string> {
    const { product_id } = await this.platform.clients.product.ok<{ product_id: string }>('create_product', { sku, name: `Chaos ${sku}`, price_cents: 500 + Math.floor(Math.random() * 5000), stock });
    this.baseline.set(product_id, stock);
    return product_id;
  }

  private context(): FaultContext {
    return {
      platform: this.platform,
      proxies: this.proxies,
      faultMs: this.options.durations.faultMs,
      log: this.options.log,
      terminateConnections: (service) => terminateConnections(this.databases.get(service)!),
    };
  }

  /** Polls the reconciler until it finds nothing or the settle window ends. */
  private async settle(): Promise<{ consistentAt: number | null; violations: Violation[] }> {
    const deadline = Date.now() + this.options.durations.settleMs;
    let violations: Violation[] = [];
    for (;;) {
      try {
        const report = await reconcileFleet(callerOf(this.platform), { graceMs: 0, stockBaseline: this.baseline });
        violations = report.violations;
        if (report.ok) return { consistentAt: Date.now(), violations };
      } catch (error) {
        violations = [{ kind: 'order_pending_too_long', message: `reconciler could not read the platform: ${(error as Error).message}` }];
      }
      if (Date.now() > deadline) return { consistentAt: null, violations };
      await sleep(1000);
    }
  }

  /** Every service process of the run so far (killed ones included), for the logs. */
  readonly spawned = new Set<ServiceProcess>();

  private remember(): void {
    for (const p of Object.values(this.platform.processes)) this.spawned.add(p);
  }

  /**
   * Services that died although the fault did not kill them (a crash): named
   * with the end of their stderr, and started again so the next fault finds
   * the whole platform.
   */
  async restartDead(): Promise<string[]> {
    const crashed: string[] = [];
    for (const [name, proc] of Object.entries(this.platform.processes) as [PlatformService, ServiceProcess][]) {
      if (!hasExited(proc)) continue;
      const why = proc.child.signalCode ?? `exit code ${proc.child.exitCode}`;
      crashed.push(`${name} (${why})`);
      this.options.log(`  ${name} service crashed (${why}):\n${proc.stderr.join('').split('\n').slice(-30).join('\n')}`);
      await this.platform.restart(name);
      this.remember();
    }
    return crashed;
  }

  async runFault(fault: Fault): Promise<FaultResult> {
    const { durations, log } = this.options;
    this.remember();
    this.stock.hot = await this.newProduct(`CHAOS-HOT-${Date.now().toString(36)}`, durations.hotStock);
    const load = new LoadGenerator({ clients: this.loadClients, stock: () => this.stock, keyPrefix: `chaos-${Date.now().toString(36)}-${this.phase++}`, hotShare: 0.3, declineShare: 0.05 });
    log(`${fault.name}: ${fault.description}`);
    load.start();
    let healedAt: number;
    try {
      await sleep(durations.warmupMs);
      healedAt = await fault.run(this.context());
      log(`  healed; traffic goes on for ${durations.recoveryMs / 1000} s`);
      await sleep(durations.recoveryMs);
    } finally {
      await load.stop();
    }

    // Let interrupted sagas finish (the recovery sweep), then resolve every open answer by repeating it.
    const since = Date.now();
    await this.waitNoPending(Date.now() + durations.settleMs);
    const resolutions = new Map<string, Resolution>();
    const open = load.attempts.filter(isOpen);
    await Promise.all(
      this.loadClients.map(async (client) => {
        for (let next = open.pop(); next; next = open.pop()) resolutions.set(next.request.idempotency_key, await resolve(client, next.request, since));
      }),
    );
    const { consistentAt, violations } = await this.settle();
    const finalStatus = await allOrders(this.platform.clients.order, log);
    const crashed = await this.restartDead();
    const result = { ...tally({ fault: fault.name, description: fault.description, attempts: load.attempts, healedAt, finalStatus, resolutions, consistentAt, violations }), crashed };
    const kinds: Record<string, number> = {};
    for (const v of violations) kinds[v.kind] = (kinds[v.kind] ?? 0) + 1;
    log(`  attempted ${result.attempted}, confirmed ${result.confirmed}, failed ${JSON.stringify(result.failed)}, lost ${result.lost}, recovery ${result.recovery_s ?? '-'} s, violations ${JSON.stringify(kinds)}${crashed.length ? `, crashed ${crashed.join(', ')}` : ''}`);
    for (const v of violations.slice(0, 5)) log(`    ${v.kind}: ${v.message}`);
    for (const l of result.lost_orders.slice(0, 5)) log(`    lost: ${l}`);
    return result;
  }

  private async waitNoPending(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const page = await this.platform.clients.order.call<{ items: unknown[] }>('list_orders', { status: 'pending', limit: 1 }).catch(() => undefined);
      if (page && !page.isError && page.data.items.length === 0) return;
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.loadClients.map((c) => c.close().catch(() => undefined)));
    await this.platform?.stop();
    if (this.options.logsDir) writeLogs(this.spawned, this.options.logsDir);
    await Promise.all([this.proxies.redis, ...Object.values(this.proxies.database), ...Object.values(this.proxies.upstream)].map((p) => p.close()));
    await dropTestDatabases();
  }
}

/** Writes each service process's stdout (JSON log lines) and stderr to `dir`. */
function writeLogs(processes: Iterable<ServiceProcess>, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const p of processes) {
    const base = path.join(dir, `${String(n++).padStart(2, '0')}-${p.name}`);
    fs.writeFileSync(`${base}.log`, p.lines.join('\n') + '\n');
    if (p.stderr.length) fs.writeFileSync(`${base}.stderr`, p.stderr.join(''));
  }
}

/** Runs the fault matrix; needs PostgreSQL (TEST_PG_URL) and Redis (TEST_REDIS_URL). */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  if (!testPgUrl() || !testRedisUrl()) throw new Error('the chaos run needs PostgreSQL (TEST_PG_URL) and Redis (TEST_REDIS_URL)');
  const unknown = (options.only ?? []).filter((name) => !FAULTS.some((f) => f.name === name));
  if (unknown.length) throw new Error(`unknown fault(s) ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.name).join(', ')}`);
  const run = new ChaosRun({ clients: 16, log: () => undefined, ...options });
  const started = Date.now();
  const faults: FaultResult[] = [];
  try {
    await run.start();
    for (const fault of FAULTS.filter((f) => !options.only || options.only.includes(f.name))) {
      try {
        faults.push(await run.runFault(fault));
      } catch (error) {
        // Reported as a failed row; the remaining faults still run (on a platform brought back whole).
        (options.log ?? (() => undefined))(`  ${fault.name}: the run could not finish this fault: ${(error as Error).stack ?? error}`);
        faults.push({ ...tally({ fault: fault.name, description: fault.description, attempts: [], healedAt: Date.now(), finalStatus: new Map(), resolutions: new Map(), consistentAt: null, violations: [] }), error: (error as Error).message });
        await run.restartDead().catch(() => undefined);
      }
    }
  } finally {
    await run.stop();
  }
  return { mode_durations: options.durations, clients: options.clients ?? 16, order_settings: ORDER_SETTINGS, started_at: new Date(started).toISOString(), duration_s: Math.round((Date.now() - started) / 1000), faults };
}
