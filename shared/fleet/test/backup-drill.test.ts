/**
 * The restore drill (issue 10, part 4): data made through the tools, a backup
 * taken while an order's saga is mid-flight, the databases destroyed and
 * restored, and the platform serving the same data with the saga finished or
 * compensated by recovery. Runs on PostgreSQL (when `npm test` has it) and on
 * embedded PGlite. The measured times are the RPO/RTO in infra/RUNBOOK.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Platform, TcpProxy, connectClient, dropTestDatabases, freePort, spawnService, startPlatform, testPgUrl, unique } from '@fedmcp/testing';
import { ServiceName, repoRoot } from '../src/services';
import { backupService, databaseLocation, restoreService } from '../src/backup/backup';
import { manifestPath } from '../src/backup/manifest';
import { pgDropAll } from '../src/backup/postgres';

jest.setTimeout(300_000);

interface OrderView {
  order_id: string;
  status: string;
  total_cents: number | null;
}
interface PaymentView {
  payment_id: string;
  status: string;
  captured_cents: number;
  refunded_cents: number;
}
interface ProductView {
  stock_on_hand: number;
  stock_reserved: number;
}

const SERVICES: ServiceName[] = ['customer', 'product', 'payment', 'order'];
// The whole platform on the run's database (PostgreSQL in CI); the embedded
// database is drilled below with one service (four PGlite processes starting
// at once outgrow the readiness budget on a loaded 2-core machine).
const KINDS = testPgUrl() ? (['postgres'] as const) : (['embedded'] as const);

/** Tag of the newest migration the service ships: what a backup of its migrated database must report. */
function latestMigration(service: ServiceName): string {
  const journal = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'services', service, 'drizzle', 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  return journal.entries[journal.entries.length - 1].tag;
}

async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if ((value !== undefined && ok(value)) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(() => dropTestDatabases());

describe.each(KINDS)('backup and restore drill on %s', (kind) => {
  let platform: Platform;
  let paymentGate: TcpProxy;
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-backups-'));

  beforeAll(async () => {
    platform = await startPlatform({
      // Embedded: no DATABASE_URL, an on-disk DATA_DIR per service (startPlatform makes it).
      env: kind === 'embedded' ? { DATABASE_URL: '', DATA_DIR: 'memory://' } : {},
      serviceEnv: { order: { ORDER_LEASE_MS: '1500', RECOVERY_INTERVAL_MS: '500', UPSTREAM_TIMEOUT_MS: '4000' } },
      upstreamUrl: async (name, url) => {
        if (name !== 'payment') return url;
        paymentGate = await TcpProxy.forUrl(url).start();
        return paymentGate.rewrite(url);
      },
    });
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    await paymentGate?.close();
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('restores customers, products, orders and payments, and recovery settles the order pending at backup time', async () => {
    const { clients } = platform;
    const { customer_id } = await clients.customer.ok<{ customer_id: string }>('create_customer', { name: 'Drill Buyer', email: `drill-${unique()}@example.com` });
    const { product_id } = await clients.product.ok<{ product_id: string }>('create_product', { sku: `DRILL-${unique()}`.toUpperCase(), name: 'Drill widget', price_cents: 1500, stock: 5 });
    const confirmed = await clients.order.ok<OrderView>('create_order', { customer_id, items: [{ product_id, quantity: 1 }], payment_method: 'pm_card_ok' });
    expect(confirmed.status).toBe('confirmed');

    // A second order whose saga hangs on the payment service: reserved, not yet paid.
    paymentGate.hold();
    const inFlight = clients.order.call('create_order', { customer_id, items: [{ product_id, quantity: 2 }], payment_method: 'pm_card_ok' }).catch(() => undefined);
    await waitFor(() => clients.product.ok<ProductView>('get_product', { product_id }), (p) => p.stock_reserved === 2);
    const before = {
      customer: await clients.customer.ok('get_customer', { customer_id }),
      product: await clients.product.ok<ProductView>('get_product', { product_id }),
      order: await clients.order.ok<OrderView>('get_order', { order_id: confirmed.order_id }),
      payments: (await clients.payment.ok<{ items: PaymentView[] }>('list_payments', { order_id: confirmed.order_id })).items,
    };
    const pending = (await clients.order.ok<{ items: OrderView[] }>('list_orders', { customer_id })).items.find((o) => o.order_id !== confirmed.order_id)!;
    expect(pending.status).toBe('pending');

    // The order service dies mid-saga; the others stop. (PostgreSQL dumps are
    // consistent while a service runs; PGlite needs its service stopped.)
    platform.processes.order.signal('SIGKILL');
    await platform.processes.order.exited;
    await inFlight;
    const backups = {} as Record<ServiceName, string>;
    const backupAll = async () => {
      for (const name of SERVICES) backups[name] = (await backupService({ service: name, env: platform.envs[name], backupDir })).file;
    };
    const backupStarted = Date.now();
    if (kind === 'postgres') await backupAll();
    for (const name of ['customer', 'product', 'payment'] as const) await platform.processes[name].stop();
    if (kind === 'embedded') await backupAll();
    const backupSeconds = (Date.now() - backupStarted) / 1000;

    for (const name of SERVICES) {
      const manifest = JSON.parse(fs.readFileSync(manifestPath(backups[name]), 'utf8'));
      expect(manifest).toMatchObject({ service: name, kind, migration: latestMigration(name), sizeBytes: fs.statSync(backups[name]).size });
      expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    }

    // Refused, and nothing changed: a non-empty target, a wrong service, a corrupted file.
    await expect(restoreService({ service: 'customer', file: backups.customer, env: platform.envs.customer })).rejects.toThrow(/not empty.*--force/);
    await expect(restoreService({ service: 'product', file: backups.customer, env: platform.envs.product })).rejects.toThrow(/of service "customer", not "product"/);
    const corrupted = path.join(backupDir, `corrupted-${path.basename(backups.payment)}`);
    const bytes = fs.readFileSync(backups.payment);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(corrupted, bytes);
    fs.copyFileSync(manifestPath(backups.payment), manifestPath(corrupted));
    await expect(restoreService({ service: 'payment', file: corrupted, env: platform.envs.payment })).rejects.toThrow(/checksum mismatch/);

    // Disaster: every database is gone.
    for (const name of SERVICES) {
      const location = databaseLocation(name, platform.envs[name]);
      if (location.kind === 'postgres') await pgDropAll(location.url);
      else fs.rmSync(location.dir, { recursive: true, force: true });
    }

    const restoreStarted = Date.now();
    for (const name of SERVICES) await restoreService({ service: name, file: backups[name], env: platform.envs[name] });
    const restoreSeconds = (Date.now() - restoreStarted) / 1000;
    paymentGate.restore();
    for (const name of SERVICES) await platform.restart(name);
    const serving = (Date.now() - restoreStarted) / 1000;
    console.log(`restore drill (${kind}): backup ${backupSeconds.toFixed(2)} s, restore ${restoreSeconds.toFixed(2)} s, restore to serving ${serving.toFixed(2)} s`);

    expect(await clients.customer.ok('get_customer', { customer_id })).toEqual(before.customer);
    expect(await clients.order.ok<OrderView>('get_order', { order_id: confirmed.order_id })).toEqual(before.order);
    expect((await clients.payment.ok<{ items: PaymentView[] }>('list_payments', { order_id: confirmed.order_id })).items).toEqual(before.payments);

    // Recovery finishes or compensates the order that was pending at backup time.
    const settled = await waitFor(
      () => clients.order.ok<OrderView>('get_order', { order_id: pending.order_id }),
      (o) => o.status !== 'pending',
      60_000,
    );
    expect(['confirmed', 'failed']).toContain(settled.status);
    const product = await waitFor(() => clients.product.ok<ProductView>('get_product', { product_id }), (p) => p.stock_reserved === 0);
    expect(product.stock_reserved).toBe(0);
    const payments = (await clients.payment.ok<{ items: PaymentView[] }>('list_payments', { order_id: pending.order_id })).items;
    expect(payments.filter((p) => p.status === 'authorized')).toHaveLength(0);
    const net = payments.reduce((sum, p) => sum + p.captured_cents - p.refunded_cents, 0);
    if (settled.status === 'confirmed') {
      expect(product.stock_on_hand).toBe(before.product.stock_on_hand - 2);
      expect(net).toBe(3000);
    } else {
      expect(product.stock_on_hand).toBe(before.product.stock_on_hand);
      expect(net).toBe(0);
    }
  });
});

describe('backup and restore drill on embedded PGlite (one service)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-drill-data-'));
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-drill-backups-'));
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(backupDir, { recursive: true, force: true });
  });

  it('restores the customers a stopped service had, and refuses a non-empty folder, another service and a corrupted file', async () => {
    const env: NodeJS.ProcessEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', SEED_DEMO_DATA: 'false', DATA_DIR: dataDir, PORT: String(await freePort()) };
    const start = async () => {
      const proc = await spawnService('customer', env, { readyTimeoutMs: 180_000 });
      return { proc, client: await connectClient(proc.mcpUrl) };
    };
    let { proc, client } = await start();
    const { customer_id } = await client.ok<{ customer_id: string }>('create_customer', { name: 'Embedded Buyer', email: `emb-${unique()}@example.com` });
    const before = await client.ok('get_customer', { customer_id });
    await client.close();
    await proc.stop();

    const { file, manifest } = await backupService({ service: 'customer', env, backupDir });
    expect(manifest).toMatchObject({ service: 'customer', kind: 'embedded', migration: latestMigration('customer') });
    await expect(restoreService({ service: 'customer', file, env })).rejects.toThrow(/not empty.*--force/);
    await expect(restoreService({ service: 'product', file, env })).rejects.toThrow(/of service "customer", not "product"/);
    const corrupted = path.join(backupDir, 'corrupted.tar.gz');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(corrupted, bytes);
    fs.copyFileSync(manifestPath(file), manifestPath(corrupted));
    await expect(restoreService({ service: 'customer', file: corrupted, env })).rejects.toThrow(/checksum mismatch/);

    fs.rmSync(path.join(dataDir, 'customer'), { recursive: true, force: true });
    const restored = await restoreService({ service: 'customer', file, env });
    console.log(`restore drill (embedded, one service): backup ${manifest.durationSeconds.toFixed(2)} s, restore ${restored.durationSeconds.toFixed(2)} s`);
    ({ proc, client } = await start());
    try {
      expect(await client.ok('get_customer', { customer_id })).toEqual(before);
    } finally {
      await client.close();
      await proc.stop();
    }
  });
});
