#!/usr/bin/env node
/**
 * `npm run bench`: starts the platform (four processes; PostgreSQL when
 * TEST_PG_URL is set, else embedded PGlite), drives bounded load at it over
 * real MCP clients, and writes latency/throughput per scenario with the speed
 * targets to bench/results/embedded.json (or postgres.json). Loopback only.
 */
const fs = require('node:fs');
const path = require('node:path');
const { startPlatform, connectClient, dropTestDatabases } = require('@fedmcp/testing');

// Targets for this reference machine (2 cores shared by the load generator and
// all four services): p95 latency at the given concurrency, with no errors.
const TARGETS = {
  get_customer_cached: { p95_ms: 50 },
  search_products: { p95_ms: 80 },
  create_order: { p95_ms: 800 },
};

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `total` calls of `call(i)` with `concurrency` workers; returns latency stats. */
async function scenario(name, total, concurrency, call) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const ok = await call(i).then((r) => r !== false, () => false);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const result = {
    calls: total,
    concurrency,
    errors,
    throughput_per_s: Math.round((total / seconds) * 10) / 10,
    p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p95_ms: Math.round(percentile(latencies, 95) * 10) / 10,
    p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
  };
  const target = TARGETS[name];
  if (target) result.target = { ...target, met: result.p95_ms <= target.p95_ms && errors === 0 };
  console.log(`${name.padEnd(22)} ${JSON.stringify(result)}`);
  return result;
}

async function main() {
  const platform = await startPlatform({ env: { LOG_LEVEL: 'warn' } });
  try {
    const { customer, product, order } = platform.clients;
    const buyer = await customer.call('create_customer', { name: 'Bench Buyer', email: `bench-${Date.now()}@example.com` });
    const customerId = buyer.data.customer_id;
    const item = await product.call('create_product', { sku: `BENCH-${Date.now()}`, name: 'Bench widget', price_cents: 199, stock: 1_000_000 });
    const productId = item.data.product_id;
    for (let i = 0; i < 50; i++) await product.call('create_product', { sku: `BENCH-${Date.now()}-${i}`, name: `Bench gadget ${i}`, price_cents: 100 + i, stock: 10 });
    // Several client connections, as several Claude sessions would be.
    const customerClients = await Promise.all(Array.from({ length: 4 }, () => connectClient(platform.processes.customer.mcpUrl)));
    const orderClients = await Promise.all(Array.from({ length: 4 }, () => connectClient(platform.processes.order.mcpUrl)));
    const ok = (r) => !r.isError;

    const results = {
      get_customer_cached: await scenario('get_customer_cached', 2000, 16, (i) => customerClients[i % 4].call('get_customer', { customer_id: customerId }).then(ok)),
      search_products: await scenario('search_products', 500, 8, () => product.call('search_products', { query: 'gadget', limit: 20 }).then(ok)),
      create_order: await scenario('create_order', 200, 8, (i) =>
        orderClients[i % 4].call('create_order', { customer_id: customerId, items: [{ product_id: productId, quantity: 1 }], payment_method: 'pm_card_ok' }).then((r) => !r.isError && r.data.status === 'confirmed'),
      ),
    };
    await Promise.all([...customerClients, ...orderClients].map((c) => c.close()));
    const report = {
      at: new Date().toISOString(),
      node: process.version,
      database: process.env.TEST_PG_URL ? 'postgresql' : 'embedded (PGlite)',
      cache: process.env.TEST_REDIS_URL ? 'redis' : 'in-process',
      machine: { cpus: require('node:os').cpus().length },
      results,
    };
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, process.env.TEST_PG_URL ? 'postgres.json' : 'embedded.json');
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`written to ${path.relative(process.cwd(), file)}`);
    const missed = Object.entries(results).filter(([, r]) => r.target && !r.target.met).map(([n]) => n);
    if (missed.length) console.log(`targets missed: ${missed.join(', ')}`);
  } finally {
    await platform.stop();
    await dropTestDatabases();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
