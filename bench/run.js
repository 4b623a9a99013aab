#!/usr/bin/env node
/**
 * `npm run bench` (full, a few minutes) and `npm run bench -- --short` (CI
 * smoke, seconds per scenario; checks the bench runs, asserts no speed).
 *
 * One run: a bare express endpoint serving the same cached JSON (the
 * physical baseline), then the four services as separate processes with full
 * telemetry (OTLP export to an in-process receiver, info logs) and, when the
 * servers ask for it, authorization (tokens obtained once, as a client does).
 * The run waits until the services are idle after start-up; single-service
 * scenarios then pin the service to core 1 and this process (the load
 * generator) and the other services to core 0. Reports calls/s, p50/p95/p99, errors, ratio to
 * bare, CPU ms per call or per order per service (/proc), RSS; writes
 * bench/results/postgres.json and .md (or embedded.*) and prints the targets as met or not.
 * PostgreSQL + Redis when they answer (as `npm test`), embedded otherwise;
 * BENCH_DATABASE=embedded forces the embedded default. BENCH_ONLY=<regex>
 * runs only matching scenarios; BENCH_CPU_PROF=<dir> writes a .cpuprofile per service;
 * BENCH_AUTH=off starts no authorization server.
 */
// `npm run bench -- --soak`: the memory soak (bench/soak.js) instead of the speed run.
if (process.argv.includes('--soak')) return void require('./soak').run();

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { startPlatform, startTestAuthServer, dropTestDatabases, OtlpReceiver, PG_URL, REDIS_URL, postgresAnswers, redisAnswers, freePort } = require('@fedmcp/testing');
const { cpuSeconds, rssMb, memoryOf, pin, canPin, allCores } = require('./lib/proc');
const { toolCall, fixedLoad, alternatingLoad, orderLoad, post, round } = require('./lib/load');
const { tokenFor } = require('./lib/auth');
const { checkTargets, markdown } = require('./lib/report');
const { SERVICE_HEAP_MB } = require('@fedmcp/instrumentation/launch');

const SHORT = process.argv.includes('--short') || process.env.BENCH_MODE === 'short';
const SECONDS = SHORT ? { read: 1, order: 2, warm: 0.5, jit: 0, slices: 1 } : { read: 10, order: 12, warm: 3, jit: 30, slices: 5 };
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const SERVICES = ['customer', 'product', 'payment', 'order'];
const SPREAD_PRODUCTS = SHORT ? 20 : 100; // at least 20: a 20-line order names 20 distinct products

const wanted = (name) => !ONLY || ONLY.test(name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function callTool(mcpUrl, token, tool, args) {
  const { status, text } = await post(undefined, new URL(mcpUrl), toolCall(tool, args, 1, token));
  const result = status === 200 ? JSON.parse(text).result : undefined;
  if (!result || result.isError) throw new Error(`${tool} failed (${status}): ${text.slice(0, 300)}`);
  return { data: result.structuredContent, text };
}

/** The bare baseline as its own process, pinned like the service it is compared with. */
async function startBare(body) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-bench-')), 'body.json');
  fs.writeFileSync(file, body);
  const port = await freePort();
  const child = fork(path.join(__dirname, 'lib', 'bare-server.js'), [String(port), file], { stdio: 'ignore' });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', () => reject(new Error('bare server exited')));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, pid: child.pid, stop: () => child.kill() };
}

/**
 * Waits until the services are idle (start-up, module loading, the order
 * service's first contract check): together under 5% of a core over one
 * second, at most `maxSeconds`. A baseline measured while they still start
 * shares its core with them. Returns the seconds waited.
 */
async function settle(pids, maxSeconds) {
  const started = Date.now();
  let before = cpuNow(pids);
  while (Date.now() - started < maxSeconds * 1000) {
    await sleep(1000);
    const now = cpuNow(pids);
    const busy = Object.keys(now).reduce((sum, n) => sum + now[n] - before[n], 0);
    if (busy < 0.05) break;
    before = now;
  }
  return round((Date.now() - started) / 1000);
}

/** Keeps core 1 for the measured process: every other service goes to core 0, with the load generator. */
function isolate(pids, measured) {
  pin(process.pid, '0');
  for (const [name, pid] of Object.entries(pids)) if (name !== measured) pin(pid, '0');
}

/** CPU seconds of each service now. */
const cpuNow = (pids) => Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));

function cpuMsPer(before, after, count) {
  const per = {};
  let total = 0;
  for (const name of Object.keys(before)) {
    const ms = ((after[name] - before[name]) * 1000) / Math.max(1, count);
    per[name] = round(ms, 2);
    total += ms;
  }
  return { ...per, total: round(total, 2) };
}

async function main() {
  const embedded = process.env.BENCH_DATABASE === 'embedded' || !(await postgresAnswers(PG_URL));
  const redis = !embedded && (await redisAnswers(REDIS_URL));
  if (embedded) delete process.env.TEST_PG_URL;
  else process.env.TEST_PG_URL = PG_URL;
  if (redis) process.env.TEST_REDIS_URL = REDIS_URL;
  else delete process.env.TEST_REDIS_URL;
  const database = embedded ? 'embedded' : 'postgresql';
  const pinned = canPin();
  console.log(`bench (${SHORT ? 'short' : 'full'}): ${database}, ${redis ? 'redis' : 'in-process cache'}, ${pinned ? 'pinning service to core 1, load to core 0' : 'no CPU pinning (taskset missing or one core)'}`);

  const receiver = await new OtlpReceiver({ keep: false }).start();
  // The development authorization server; servers that enforce tokens send the bench to it (lib/auth.js).
  const auth = process.env.BENCH_AUTH === 'off' ? undefined : await startTestAuthServer();
  const profDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
  // Extra configuration for every service, `K=V K2=V2` (e.g. MCP_DIRECT_TOOL_CALLS=false to measure the SDK path).
  const extraEnv = Object.fromEntries((process.env.BENCH_SERVICE_ENV ?? '').split(' ').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  let platform;
  try {
    platform = await startPlatform({
      env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, RATE_LIMIT_PER_MINUTE: '0', ...extraEnv },
      serviceEnv: auth ? { customer: auth.serviceEnv(), product: auth.serviceEnv(), payment: auth.serviceEnv(), order: auth.orderServiceEnv() } : undefined,
      // The platform's own clients (unused by the scenarios) need a token too.
      clientAuth: auth ? (name, url) => ({ token: () => auth.token(url, [`${name}:read`]) }) : undefined,
      execArgv: [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      readyTimeoutMs: 120_000,
    });
  } catch (error) {
    await auth?.stop();
    await receiver.close();
    throw error;
  }
  const pids = Object.fromEntries(SERVICES.map((n) => [n, platform.processes[n].child.pid]));
  const urls = Object.fromEntries(SERVICES.map((n) => [n, platform.processes[n].mcpUrl]));
  const scenarios = {};
  const report = { at: new Date().toISOString(), mode: SHORT ? 'short' : 'full', conditions: {}, scenarios, rss_mb: {} };
  try {
    const tokens = {};
    for (const n of SERVICES) tokens[n] = await tokenFor(urls[n]);
    report.conditions = {
      database,
      cache: redis ? 'redis' : 'in-process',
      node: process.version,
      cpus: os.cpus().length,
      pinned,
      authorization: tokens.order ? 'on (client-credentials tokens)' : 'open mode (servers did not ask for a token)',
      load_average: os.loadavg().map((l) => round(l, 1)).join(' '),
      heap_budget_mb: SERVICE_HEAP_MB,
      ...(Object.keys(extraEnv).length ? { service_env: extraEnv } : {}),
    };

    // Data: one buyer, a spread catalog and one hot product with ample stock.
    const stamp = Date.now().toString(36);
    const buyer = (await callTool(urls.customer, tokens.customer, 'create_customer', { name: 'Bench Buyer', email: `bench-${stamp}@example.com` })).data.customer_id;
    const product = (i) => callTool(urls.product, tokens.product, 'create_product', { sku: `BENCH-${stamp}-${i}`, name: `Bench item ${i}`, price_cents: 199, stock: 1_000_000 }).then((r) => r.data.product_id);
    const spread = [];
    for (let i = 0; i < SPREAD_PRODUCTS; i++) spread.push(await product(i));
    const hot = await product('hot');
    report.rss_mb.before = Object.fromEntries(SERVICES.map((n) => [n, rssMb(pids[n])]));
    report.conditions.settled_after_s = await settle(pids, SHORT ? 5 : 60);

    // Single-service reads: the service alone on core 1, the load on core 0.
    const readScenario = async (name, service, tool, args, bareRate) => {
      const request = toolCall(tool, args, 1, tokens[service]);
      const expected = (await callTool(urls[service], tokens[service], tool, args)).text; // also warms the cache
      isolate(pids, service);
      pin(pids[service], '1');
      await fixedLoad({ url: urls[service], request, connections: 32, seconds: SECONDS.warm });
      const before = cpuSeconds(pids[service]);
      const r = await fixedLoad({ url: urls[service], request, connections: 32, seconds: SECONDS.read, expectBody: expected });
      const cpuMs = ((cpuSeconds(pids[service]) - before) * 1000) / Math.max(1, r.calls);
      scenarios[name] = { clients: 32, ...r, ratio_to_bare: bareRate ? round(r.calls_per_s / bareRate, 2) : undefined, cpu_ms_per_call: { [service]: round(cpuMs, 3) } };
      console.log(`${name.padEnd(28)} ${JSON.stringify(scenarios[name])}`);
      return expected;
    };

    let bareRate;
    if (wanted('get_product') || wanted('bare')) {
      // The baseline and get_product side by side: alternating turns, each on core 1 in its turn.
      const productArgs = { product_id: hot };
      const body = (await callTool(urls.product, tokens.product, 'get_product', productArgs)).text;
      const bare = await startBare(body);
      try {
        const sides = [
          { url: bare.url, request: toolCall('get_product', productArgs, 1), expectBody: body, cpuSeconds: () => cpuSeconds(bare.pid), arrange: () => (isolate(pids, 'bare'), pin(bare.pid, '1')) },
          { url: urls.product, request: toolCall('get_product', productArgs, 1, tokens.product), expectBody: body, cpuSeconds: () => cpuSeconds(pids.product), arrange: () => (isolate(pids, 'product'), pin(pids.product, '1')) },
        ];
        for (const side of sides) {
          side.arrange();
          await fixedLoad({ url: side.url, request: side.request, connections: 32, seconds: SECONDS.warm });
        }
        const [b, p] = await alternatingLoad(sides, { connections: 32, seconds: SECONDS.read, slices: SECONDS.slices });
        const scenario = ({ cpu_seconds, ...r }, who, ratio) => ({ clients: 32, ...r, ratio_to_bare: ratio, cpu_ms_per_call: { [who]: round((cpu_seconds * 1000) / Math.max(1, r.calls), 3) } });
        scenarios.bare_express = scenario(b, 'bare', 1);
        scenarios.get_product = scenario(p, 'product', round(p.calls_per_s / b.calls_per_s, 2));
        bareRate = b.calls_per_s;
        for (const name of ['bare_express', 'get_product']) console.log(`${name.padEnd(28)} ${JSON.stringify(scenarios[name])}`);
      } finally {
        bare.stop();
      }
    }
    if (wanted('get_customer')) await readScenario('get_customer', 'customer', 'get_customer', { customer_id: buyer }, bareRate);
    if (wanted('search_products')) await readScenario('search_products', 'product', 'search_products', { query: 'Bench item 1', limit: 20 }, bareRate);

    // Orders: four services and the load share every core.
    pin(process.pid, allCores());
    for (const n of SERVICES) pin(pids[n], allCores());
    const lines = (n) => (i) => Array.from({ length: n }, (_, k) => spread[(i * n + k) % spread.length]);
    const orderArgs = (productsOf) => (i) => ({ customer_id: buyer, items: productsOf(i).map((product_id) => ({ product_id, quantity: 1 })), payment_method: 'pm_card_ok' });
    const orderScenarios = [
      ['create_order_c1_spread', 1, lines(1)],
      ['create_order_c16_spread', 16, lines(1)],
      ['create_order_c64_spread', 64, lines(1)],
      ['create_order_c16_hot', 16, () => [hot]],
      ['create_order_c64_hot', 64, () => [hot]],
      ['create_order_c16_lines5', 16, lines(5)],
      ['create_order_c16_lines20', 16, lines(20)],
    ].filter(([name]) => wanted(name));
    // Services that just started run their order path interpreted and half-optimised for the
    // first thousand orders or so: measured that way, CPU per order fell from 44 to 32 ms
    // between the first scenarios and the later ones, for the same code. A running service is
    // warm, so the order scenarios start after this warm-up (reported, not measured as a scenario).
    if (SECONDS.jit > 0 && orderScenarios.length > 0) {
      const before = cpuNow(pids);
      const w = await orderLoad({ url: urls.order, token: tokens.order, concurrency: 16, seconds: SECONDS.jit, args: orderArgs(lines(1)) });
      report.conditions.warmup = { seconds: SECONDS.jit, clients: 16, orders: w.confirmed, cpu_ms_per_order: cpuMsPer(before, cpuNow(pids), w.confirmed) };
      console.log(`${'(warm-up, not a scenario)'.padEnd(28)} ${JSON.stringify(report.conditions.warmup)}`);
    }
    for (const [name, clients, productsOf] of orderScenarios) {
      const args = orderArgs(productsOf);
      await orderLoad({ url: urls.order, token: tokens.order, concurrency: clients, seconds: SECONDS.warm, args });
      const before = cpuNow(pids);
      const r = await orderLoad({ url: urls.order, token: tokens.order, concurrency: clients, seconds: SECONDS.order, args });
      await sleep(200); // let trailing saga work and exports land in the CPU count
      scenarios[name] = { clients, ...r, cpu_ms_per_order: cpuMsPer(before, cpuNow(pids), r.confirmed) };
      console.log(`${name.padEnd(28)} ${JSON.stringify(scenarios[name])}`);
    }

    report.rss_mb.after = Object.fromEntries(SERVICES.map((n) => [n, rssMb(pids[n])]));
    report.memory_mb_after = {};
    report.gc_seconds = {};
    for (const n of SERVICES) ({ memory: report.memory_mb_after[n], gc: report.gc_seconds[n] } = await memoryOf(pids[n], new URL('/metrics', urls[n]).href));
    console.log(`memory after load, MB: ${JSON.stringify(report.memory_mb_after)}; GC seconds since start: ${JSON.stringify(report.gc_seconds)}`);
    report.telemetry = { otlp_exports: receiver.received.exports, otlp_bytes: receiver.received.bytes, log_lines: Object.fromEntries(SERVICES.map((n) => [n, platform.processes[n].lines.length])) };
    report.targets = checkTargets(report);
  } finally {
    await platform.stop();
    await auth?.stop();
    await receiver.close();
    await dropTestDatabases();
  }

  const dir = SHORT ? fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-bench-')) : path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const base = embedded ? 'embedded' : 'postgres';
  fs.writeFileSync(path.join(dir, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, `${base}.md`), markdown(report));
  console.log('');
  for (const t of report.targets) console.log(`${t.met ? 'met    ' : 'NOT MET'}  ${t.name}: ${t.value} (target ${t.limit})`);
  console.log(`\nwritten to ${path.relative(process.cwd(), path.join(dir, `${base}.json`))} and .md${SHORT ? ' (short mode: not the recorded results)' : ''}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
