#!/usr/bin/env node
/**
 * Memory soak: `npm run bench -- --soak` (10 minutes) or `node bench/soak.js
 * [--minutes N] [--short]` (--short: 2 minutes). Starts the four services as
 * separate processes with the test-only heap probe, production-like telemetry
 * (info logs, spans exported over OTLP to a receiver that drops them), and
 * drives mixed traffic at all of them: cached and uncached reads, failing
 * calls, bad JSON and create_order end to end. Every SAMPLE_SECONDS it reads
 * each service's heap after a forced GC, its RSS and its request count, and
 * prints one line per service. At the end it fits a line through the post-GC
 * heap against requests served (samples after warm-up) and fails (exit 1) if
 * any service's trend is above MAX_TREND_BYTES_PER_REQUEST: a flat heap is
 * the target. The target is on the heap of objects (heapUsed less V8's code
 * spaces): optimised code for hot paths keeps growing for tens of thousands of
 * requests and then stops, and it is not state kept per request; the trend of
 * the whole heap and the code size are reported next to it. Writes
 * bench/results/soak-<database>.json. Loopback only. PostgreSQL/Redis when
 * TEST_PG_URL/TEST_REDIS_URL are set, else embedded.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { HEAP_PROBE_ARGS, OtlpReceiver, connectClient, dataHeap, dropTestDatabases, productionLikeEnv, readHeap, slope, startPlatform, startTestAuthServer, unique } = require('@fedmcp/testing');

const SHORT = process.argv.includes('--short');
const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : SHORT ? 2 : 10;
const SAMPLE_SECONDS = SHORT ? 10 : 30;
/** Samples before this many seconds are warm-up (pools, JIT, caches filling) and not fitted. */
const WARMUP_SECONDS = SHORT ? 20 : 60;
/**
 * Flat within noise: a fitted growth of 20 B per request is ~2 MB over 100,000
 * requests, below what one healthy service's settled heap wanders, and a
 * fifteenth of the 300 B per request leak of issue 13.
 */
const MAX_TREND_BYTES_PER_REQUEST = 20;
const SERVICES = ['customer', 'product', 'payment', 'order'];
/** Authorization on (a development authorization server; every client with its own token), as in production; BENCH_AUTH=off for open mode. */
const AUTH = process.env.BENCH_AUTH !== 'off';
/** The scopes each service's soak clients hold. */
const SCOPES = { customer: ['customer:read'], product: ['product:read'], payment: ['payment:read'], order: ['order:read', 'order:write'] };

const mb = (n) => Math.round((n / 1e6) * 100) / 100;

/** Requests this service has answered (sum of mcp_requests_total), from its /metrics. */
async function requestsServed(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('mcp_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

async function main() {
  const otlp = await new OtlpReceiver({ keep: false }).start();
  const auth = AUTH ? await startTestAuthServer() : undefined;
  const platform = await startPlatform({ auth, env: productionLikeEnv(otlp), execArgv: [...HEAP_PROBE_ARGS], ipc: true });
  const database = process.env.TEST_PG_URL ? 'postgresql' : 'embedded';
  console.log(`soak: ${MINUTES} min, ${database}, ${process.env.TEST_REDIS_URL ? 'redis' : 'in-process cache'}, authorization ${AUTH ? 'on' : 'off'}, sample every ${SAMPLE_SECONDS} s`);
  const samples = Object.fromEntries(SERVICES.map((s) => [s, []]));
  let stopping = false;
  try {
    const { customer, product } = platform.clients;
    let lastOrderId;
    const buyer = await customer.ok('create_customer', { name: 'Soak Buyer', email: `soak-${unique()}@example.com` });
    const item = await product.ok('create_product', { sku: `SOAK-${unique()}`.toUpperCase(), name: 'Soak widget', price_cents: 199, stock: 10_000_000 });
    const clients = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await Promise.all(Array.from({ length: 3 }, () => connectClient(platform.processes[s].mcpUrl, 'modern', auth && { token: () => auth.token(platform.processes[s].mcpUrl, SCOPES[s]) })))])));
    const mixes = {
      product: [
        (c) => c.call('get_product', { product_id: item.product_id }),
        (c) => c.call('search_products', { query: 'soak', limit: 5 }),
        (c) => c.call('get_product', { product_id: `prd_missing${unique()}` }),
        (c) => c.call('get_product', { product_id: 42 }),
        () => fetch(platform.processes.product.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' }).then((r) => r.text()),
      ],
      customer: [(c) => c.call('get_customer', { customer_id: buyer.customer_id }), (c) => c.call('get_customer', { customer_id: `cus_missing${unique()}` })],
      payment: [(c) => c.call('list_payments', { limit: 5 })],
      // Orders end to end (every one calls customer, product and payment) ...
      order: [
        async (c) => {
          const placed = await c.call('create_order', { customer_id: buyer.customer_id, items: [{ product_id: item.product_id, quantity: 1 }], payment_method: 'pm_card_ok' });
          if (!placed.isError) lastOrderId = placed.data.order_id;
        },
      ],
      // ... and, on workers of their own, the order service's reads, so that it too serves enough requests to show a trend.
      orderReads: [
        (c) => c.call('get_order', { order_id: lastOrderId ?? `ord_missing${unique()}` }),
        (c) => c.call('list_orders', { customer_id: buyer.customer_id, limit: 5 }),
        (c) => c.call('get_order', { order_id: `ord_missing${unique()}` }),
      ],
    };
    // Closed-loop workers per mix; errors are counted, not fatal (the soak watches memory).
    let errors = 0;
    const WORKERS = { customer: 3, product: 3, payment: 3, order: 1, orderReads: 4 };
    const workers = Object.entries(WORKERS).flatMap(([mix, count]) =>
      Array.from({ length: count }, async (_, w) => {
        const pool = clients[mix === 'orderReads' ? 'order' : mix];
        for (let i = w; !stopping; i++) await mixes[mix][i % mixes[mix].length](pool[w % pool.length]).catch(() => void errors++);
      }),
    );
    const started = Date.now();
    while (Date.now() - started < MINUTES * 60_000) {
      await new Promise((r) => setTimeout(r, SAMPLE_SECONDS * 1000));
      const at = Math.round((Date.now() - started) / 1000);
      for (const s of SERVICES) {
        const [heap, requests] = await Promise.all([readHeap(platform.processes[s]), requestsServed(platform.processes[s].url)]);
        samples[s].push({ at, requests, heap_mb: mb(heap.heapUsed), code_mb: mb(heap.codeUsed), rss_mb: mb(heap.rss), heapUsed: heap.heapUsed, dataHeap: dataHeap(heap) });
        console.log(
          `${String(at).padStart(5)} s  ${s.padEnd(9)} requests ${String(requests).padStart(8)}  post-GC heap ${mb(heap.heapUsed).toFixed(2).padStart(7)} MB (code ${mb(heap.codeUsed).toFixed(2)})  RSS ${mb(heap.rss).toFixed(1).padStart(7)} MB`,
        );
      }
    }
    stopping = true;
    await Promise.all(workers);
    await Promise.all(Object.values(clients).flat().map((c) => c.close().catch(() => undefined)));

    const results = {};
    for (const s of SERVICES) {
      const fitted = samples[s].filter((p) => p.at >= WARMUP_SECONDS);
      const trend = slope(fitted.map((p) => p.requests), fitted.map((p) => p.dataHeap));
      const wholeHeapTrend = slope(fitted.map((p) => p.requests), fitted.map((p) => p.heapUsed));
      const served = fitted.length ? fitted[fitted.length - 1].requests - fitted[0].requests : 0;
      const first = fitted[0];
      const last = fitted[fitted.length - 1];
      results[s] = {
        requests_fitted: served,
        heap_mb: { first: first?.heap_mb, last: last?.heap_mb },
        code_mb: { first: first?.code_mb, last: last?.code_mb },
        rss_mb: { first: first?.rss_mb, last: last?.rss_mb },
        trend_bytes_per_request: Math.round(trend * 10) / 10,
        whole_heap_trend_bytes_per_request: Math.round(wholeHeapTrend * 10) / 10,
        target: { max_trend_bytes_per_request: MAX_TREND_BYTES_PER_REQUEST, met: fitted.length >= 2 && trend <= MAX_TREND_BYTES_PER_REQUEST },
      };
      console.log(`${s.padEnd(9)} ${JSON.stringify(results[s])}`);
    }
    const report = { at: new Date().toISOString(), minutes: MINUTES, database, authorization: AUTH ? 'on' : 'off', node: process.version, cpus: os.cpus().length, load_average: os.loadavg().map((l) => Math.round(l * 10) / 10).join(' '), errors, results, samples };
    for (const s of SERVICES)
      for (const p of samples[s]) {
        delete p.heapUsed;
        delete p.dataHeap;
      }
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `soak-${database}.json`);
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`written to ${path.relative(process.cwd(), file)}`);
    const missed = SERVICES.filter((s) => !results[s].target.met);
    if (missed.length) {
      console.log(`soak target missed (post-GC heap trending up): ${missed.join(', ')}`);
      process.exitCode = 1;
    } else console.log('soak target met: post-GC heap flat on every service');
  } finally {
    stopping = true;
    await platform.stop();
    await auth?.stop();
    await otlp.close();
    await dropTestDatabases();
  }
}

function run() {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { run };
if (require.main === module) run();
