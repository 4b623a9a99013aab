/**
 * The issue's targets, checked against one run's results, and the markdown
 * table written next to the JSON.
 */

/** Largest RSS a service may have after the load, by database kind. */
const RSS_LIMIT_MB = { postgresql: 200, embedded: 300 };

/** Per extra order line, at most this share of a one-line order's CPU (sublinear growth). */
const PER_LINE_SHARE = 0.1;

function check(name, value, limit, met) {
  return { name, value, limit, met: Boolean(met) };
}

/** Every target of issue 9 that this run measured, with its value and whether it was met. */
function checkTargets(report) {
  const s = report.scenarios;
  const targets = [];
  if (s.get_product?.ratio_to_bare !== undefined) targets.push(check('cached get_product vs bare, one core each', s.get_product.ratio_to_bare, '>= 0.35', s.get_product.ratio_to_bare >= 0.35));
  const o16 = s.create_order_c16_spread;
  if (o16) {
    targets.push(check('create_order c16 confirmed/s', o16.confirmed_per_s, '>= 60', o16.confirmed_per_s >= 60));
    targets.push(check('create_order c16 p99 ms', o16.p99_ms, '< 400', o16.p99_ms < 400));
    targets.push(check('create_order c16 none pending/failed/errors', o16.pending + o16.failed + o16.errors, '= 0', o16.pending + o16.failed + o16.errors === 0));
    targets.push(check('CPU ms per confirmed order, four services', o16.cpu_ms_per_order?.total, '<= 25', o16.cpu_ms_per_order?.total <= 25));
  }
  // Only comparable when both scenarios confirmed orders (CPU is divided by confirmed orders).
  const one = s.create_order_c16_spread?.confirmed ? s.create_order_c16_spread.cpu_ms_per_order.total : undefined;
  const twenty = s.create_order_c16_lines20?.confirmed ? s.create_order_c16_lines20.cpu_ms_per_order.total : undefined;
  if (one && twenty) {
    const limit = Math.round(one * (1 + 19 * PER_LINE_SHARE) * 10) / 10;
    targets.push(check('CPU ms per 20-line order (sublinear in lines)', twenty, `<= ${limit}`, twenty <= limit));
  }
  const rss = Math.max(...Object.values(report.rss_mb.after));
  const rssLimit = RSS_LIMIT_MB[report.conditions.database];
  targets.push(check(`largest service RSS after load, MB (${report.conditions.database})`, rss, `< ${rssLimit}`, rss < rssLimit));
  return targets;
}

const cell = (v) => (v === undefined || v === null ? '' : typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ') : String(v));

/** The markdown summary of one run. */
function markdown(report) {
  const c = report.conditions;
  const lines = [
    `# Bench results: ${c.database}, ${c.cache} (${report.mode} mode)`,
    '',
    `${report.at} · node ${c.node} · ${c.cpus} cores${c.pinned ? ' · single-service scenarios: service pinned to core 1, load generator and other services to core 0' : ' · no CPU pinning'} · telemetry: OTLP export + info logs · authorization: ${c.authorization} · load average at start ${c.load_average}${c.settled_after_s !== undefined ? ` · services idle ${c.settled_after_s} s after start` : ''}${c.service_env ? ` · service configuration: ${Object.entries(c.service_env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}${c.warmup ? ` · order scenarios after a warm-up of ${c.warmup.seconds} s at ${c.warmup.clients} clients (${c.warmup.orders} orders, CPU ms per order ${c.warmup.cpu_ms_per_order.total})` : ''}`,
    '',
    '| scenario | clients | calls/s (orders: confirmed/s) | p50 ms | p95 ms | p99 ms | errors | pending / failed | ratio to bare | CPU ms per call or order |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, r] of Object.entries(report.scenarios)) {
    const rate = r.confirmed_per_s ?? r.calls_per_s;
    const pf = r.pending !== undefined ? `${r.pending} / ${r.failed}` : '';
    lines.push(`| ${name} | ${r.clients} | ${rate} | ${r.p50_ms} | ${r.p95_ms} | ${r.p99_ms} | ${r.errors} | ${pf} | ${cell(r.ratio_to_bare)} | ${cell(r.cpu_ms_per_call ?? r.cpu_ms_per_order)} |`);
  }
  lines.push('', `RSS MB before load: ${cell(report.rss_mb.before)}; after: ${cell(report.rss_mb.after)}`);
  if (report.memory_mb_after) {
    lines.push('', `Memory after load, MB (heap budget \`--max-old-space-size=${c.heap_budget_mb}\`): RSS · anonymous · V8 heap committed · used · outside the heap; main-thread GC seconds since start`, '');
    for (const [n, m] of Object.entries(report.memory_mb_after)) lines.push(`- ${n}: ${m.rss} · ${m.anonymous} · ${m.heap_total} · ${m.heap_used} · ${m.external}; GC ${cell(report.gc_seconds?.[n])}`);
  }
  lines.push('', '| target | value | limit | |', '|---|---|---|---|');
  for (const t of report.targets) lines.push(`| ${t.name} | ${t.value} | ${t.limit} | ${t.met ? 'met' : 'NOT MET'} |`);
  return lines.join('\n') + '\n';
}

module.exports = { checkTargets, markdown };
