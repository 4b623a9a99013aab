#!/usr/bin/env node
/**
 * Generates the provisioned Grafana dashboards in ./dashboards from code, so
 * panels stay consistent and every PromQL expression is in one place.
 *
 *   node infra/grafana/build-dashboards.js          # (re)write dashboards/*.json
 *   node infra/grafana/build-dashboards.js --check  # exit 1 if the files are stale
 *
 * Only metrics the services export are used (checked by
 * shared/fleet/test/metric-names.test.ts).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const DS = { type: 'prometheus', uid: 'prometheus' };
const RI = '$__rate_interval';

let nextId = 1;
function target(expr, legendFormat, refId, extra = {}) {
  return { datasource: DS, expr, legendFormat, refId, range: true, ...extra };
}
function refIds(targets) {
  return targets.map((t, i) => ({ ...t, refId: t.refId || String.fromCharCode(65 + i) }));
}

/** What every query panel starts with; the panel id is the next in the dashboard. */
function queryPanel(type, { title, description, gridPos, targets }) {
  return { id: nextId++, type, title, description, datasource: DS, gridPos, targets: refIds(targets) };
}

function timeseries({ unit = 'short', min, max, stack = false, ...panel }) {
  return {
    ...queryPanel('timeseries', panel),
    fieldConfig: {
      defaults: {
        unit,
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: stack ? 30 : 10,
          showPoints: 'never',
          spanNulls: true,
          stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'], showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

function stat({ mappings = [], thresholds, unit = 'none', colorMode = 'background', ...panel }) {
  return {
    ...queryPanel('stat', panel),
    fieldConfig: {
      defaults: {
        unit,
        mappings,
        thresholds: thresholds || { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        color: { mode: 'thresholds' },
      },
      overrides: [],
    },
    options: {
      colorMode,
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'value_and_name',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    },
  };
}

function row(title, y) {
  return { id: nextId++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

const UP_MAPPINGS = [
  { type: 'value', options: { 0: { text: 'DOWN', color: 'red', index: 0 }, 1: { text: 'UP', color: 'green', index: 1 } } },
];
const UP_THRESHOLDS = { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] };
const READY_MAPPINGS = [
  {
    type: 'value',
    options: {
      0: { text: 'NOT READY', color: 'red', index: 0 },
      1: { text: 'DEGRADED', color: 'orange', index: 1 },
      2: { text: 'READY', color: 'green', index: 2 },
    },
  },
];
const READY_THRESHOLDS = {
  mode: 'absolute',
  steps: [{ color: 'red', value: null }, { color: 'orange', value: 1 }, { color: 'green', value: 2 }],
};

// ----------------------------------------------------------------- PromQL --

/** `{a, b}` from label matchers; '' for none (the whole fleet). */
function sel(matchers) {
  return matchers.length ? `{${matchers.join(', ')}}` : '';
}
/** `op by (labels) (expr)`; without labels the series themselves (one per instance). */
function agg(op, by, expr) {
  return by ? `${op} by (${by.join(', ')}) (${expr})` : expr;
}
function sumRate(by, metric, matchers) {
  return agg('sum', by, `rate(${metric}${sel(matchers)}[${RI}])`);
}
function quantile(q, by, bucketMetric, matchers) {
  return `histogram_quantile(${q}, ${sumRate([...by, 'le'], bucketMetric, matchers)})`;
}
/** `{{a}}/{{b}} {{c}} text`: the path labels joined by '/', then the other labels and text. */
function legend(path, labels = [], text = '') {
  return [path.map((l) => `{{${l}}}`).join('/'), ...labels.map((l) => `{{${l}}}`), text].filter(Boolean).join(' ');
}

// ----------------------------------------------------------- panel kinds --
// Each panel kind once, as a function of
//   matchers  the label matchers that pick the series ([] = the whole fleet),
//   by        the labels it groups by, which also name the legend
//             (left out for stats: one series per instance),
// plus the panel's title, description and place. The dashboards below only
// compose these.

const SCRAPE_JOB = 'job="fedmcp"';
const TOOL_LATENCY_BUCKETS = 'mcp_tool_call_duration_seconds_bucket';
const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
];

function upStat({ matchers = [], by, ...panel }) {
  return stat({
    ...panel,
    targets: [target(agg('min', by, `up${sel([SCRAPE_JOB, ...matchers])}`), legend(by || ['instance']))],
    mappings: UP_MAPPINGS,
    thresholds: UP_THRESHOLDS,
  });
}

function readinessStat({ matchers = [], by, ...panel }) {
  return stat({
    ...panel,
    targets: [target(agg('min', by, `mcp_readiness_status${sel(matchers)}`), legend(by || ['instance']))],
    mappings: READY_MAPPINGS,
    thresholds: READY_THRESHOLDS,
  });
}

/** Worst instance's mcp_dependency_up per dependency, as UP/DOWN. */
function dependencyStat({ matchers = [], by = [], ...panel }) {
  return stat({
    ...panel,
    targets: [target(agg('min', [...by, 'dependency'], `mcp_dependency_up${sel(matchers)}`), legend(by, ['dependency']))],
    mappings: UP_MAPPINGS,
    thresholds: UP_THRESHOLDS,
  });
}

/** How many instances have a dependency down, over time. */
function dependenciesDown({ matchers = [], by = [], ...panel }) {
  return timeseries({
    ...panel,
    targets: [target(agg('sum', [...by, 'dependency'], `1 - mcp_dependency_up${sel(matchers)}`), legend(by, ['dependency']))],
    unit: 'short',
    min: 0,
  });
}

/** A counter's rate, summed by `by` and then by the kind's own `labels`. */
function ratePanel(metric, { labels: kindLabels = [], ...style } = {}) {
  return ({ matchers = [], by = [], labels = kindLabels, ...panel }) =>
    timeseries({
      unit: 'reqps',
      ...style,
      ...panel,
      targets: [target(sumRate([...by, ...labels], metric, matchers), legend(by, labels))],
    });
}
const requestRate = ratePanel('mcp_requests_total');
const toolCallRate = ratePanel('mcp_tool_calls_total', { labels: ['status'] });
const toolErrorsByCode = ratePanel('mcp_tool_errors_total', { labels: ['error_type'], stack: true });
const toolTimeouts = ratePanel('mcp_timeouts_total');
const dbQueryRate = ratePanel('mcp_db_query_duration_seconds_count', { unit: 'ops' });

/** Share of tool calls with status=error. */
function toolErrorRate({ matchers = [], by = [], ...panel }) {
  const errors = sumRate(by, 'mcp_tool_calls_total', [...matchers, 'status="error"']);
  return timeseries({
    ...panel,
    targets: [target(`${errors} / ${sumRate(by, 'mcp_tool_calls_total', matchers)}`, legend(by))],
    unit: 'percentunit',
    min: 0,
  });
}

/** Tool call latency quantiles (QUANTILES entries); with several, one target each, named in the legend. */
function toolLatency({ matchers = [], by = [], quantiles = QUANTILES, ...panel }) {
  return timeseries({
    ...panel,
    targets: quantiles.map(([name, q]) =>
      target(quantile(q, by, TOOL_LATENCY_BUCKETS, matchers), legend(by, [], quantiles.length > 1 ? name : '')),
    ),
    unit: 's',
  });
}

/** hits / (hits + misses) per `by` and cache. */
function cacheHitRate({ matchers = [], by = [], ...panel }) {
  const perCache = [...by, 'cache'];
  const hits = sumRate(perCache, 'mcp_cache_hits_total', matchers);
  const misses = sumRate(perCache, 'mcp_cache_misses_total', matchers);
  return timeseries({
    ...panel,
    targets: [target(`${hits} / (${hits} + ${misses})`, legend(perCache))],
    unit: 'percentunit',
    min: 0,
    max: 1,
  });
}

/** Share of the database pool in use (worst instance). */
function dbPoolUsage({ matchers = [], by = [], ...panel }) {
  return timeseries({
    ...panel,
    targets: [target(agg('max', by, `mcp_db_connections_active${sel(matchers)} / mcp_db_connections_max${sel(matchers)}`), legend(by))],
    unit: 'percentunit',
    min: 0,
    max: 1,
  });
}

/** Database pool connections in use and the pool size. */
function dbConnections({ matchers = [], by = ['instance'], ...panel }) {
  return timeseries({
    ...panel,
    targets: [
      target(agg('sum', by, `mcp_db_connections_active${sel(matchers)}`), legend(by, [], 'active')),
      target(agg('sum', by, `mcp_db_connections_max${sel(matchers)}`), legend(by, [], 'max')),
    ],
    unit: 'short',
    min: 0,
  });
}

function dbQueryLatency({ matchers = [], by = [], ...panel }) {
  return timeseries({
    ...panel,
    targets: [target(quantile(0.95, by, 'mcp_db_query_duration_seconds_bucket', matchers), legend(by))],
    unit: 's',
  });
}

/** MCP calls to other servers by outcome; with `latency`, their p95 too (then mixed units). */
function upstreamCalls({ matchers = [], by = ['server'], latency = false, ...panel }) {
  const targets = [target(sumRate([...by, 'status'], 'mcp_upstream_calls_total', matchers), legend(by, ['status']))];
  if (latency) {
    targets.push(target(quantile(0.95, by, 'mcp_upstream_call_duration_seconds_bucket', matchers), legend(by, [], 'p95 (s)')));
  }
  return timeseries({ ...panel, targets, unit: latency ? 'short' : 'reqps' });
}

/** A per-instance process gauge (or rate, for counters). */
function processPanel(metric, { matchers = [], rate = false, ...panel }) {
  const series = `${metric}${sel(matchers)}`;
  return timeseries({ ...panel, targets: [target(rate ? `rate(${series}[${RI}])` : series, '{{instance}}')] });
}

// ---------------------------------------------------------------- layout --

/** Panels laid out top to bottom: rows, and lines of [width, panel] left to right. */
function grid() {
  const panels = [];
  let y = 0;
  return {
    panels,
    row(title) {
      panels.push(row(title, y++));
    },
    line(h, ...items) {
      let x = 0;
      for (const [w, panel] of items) {
        panel.gridPos = { h, w, x, y };
        panels.push(panel);
        x += w;
      }
      y += h;
    },
  };
}

/** A Grafana query variable; `all` adds the All option (regex .*) and multi-select. */
function queryVariable(name, label, query, { current, all = false }) {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    sort: 1,
    multi: all,
    includeAll: all,
    ...(all ? { allValue: '.*' } : {}),
    current: current || { text: 'All', value: '$__all' },
    options: [],
  };
}

function dashboard({ uid, title, description, tags, panels, templating = [], links = [] }) {
  return {
    uid,
    title,
    description,
    tags,
    editable: false,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links,
    templating: { list: templating },
    panels,
  };
}

function fleetOverview() {
  nextId = 1;
  const bySvc = ['service'];
  const g = grid();
  g.row('Availability');
  g.line(
    4,
    [12, upStat({ title: 'Scrape target up', description: 'Prometheus `up` per service: can /metrics be scraped.', by: bySvc })],
    [
      12,
      readinessStat({
        title: 'Readiness',
        description: 'mcp_readiness_status (worst instance): 2 ready, 1 degraded (e.g. cache down), 0 not ready (database down).',
        by: bySvc,
      }),
    ],
  );
  g.row('Traffic and errors');
  g.line(
    8,
    [8, requestRate({ title: 'MCP request rate by service', description: 'JSON-RPC requests per second (all methods).', by: bySvc })],
    [8, toolErrorRate({ title: 'Tool error rate by service', description: 'Share of tool calls with status=error.', by: bySvc })],
    [8, toolErrorsByCode({ title: 'Tool errors by code', description: 'mcp_tool_errors_total by SPEC error code.', by: bySvc })],
  );
  g.row('Tool latency');
  g.line(
    9,
    ...QUANTILES.map((q) => [
      8,
      toolLatency({
        title: `Tool latency ${q[0]} by tool`,
        description: `${q[0]} of mcp_tool_call_duration_seconds per service and tool.`,
        by: [...bySvc, 'tool'],
        quantiles: [q],
      }),
    ]),
  );
  g.row('Dependencies');
  g.line(
    8,
    [8, cacheHitRate({ title: 'Cache hit rate', description: 'hits / (hits + misses) per service and cache.', by: bySvc })],
    [
      8,
      dbPoolUsage({
        title: 'Database pool in use',
        description: 'mcp_db_connections_active / mcp_db_connections_max (worst instance).',
        by: bySvc,
      }),
    ],
    [
      8,
      upstreamCalls({
        title: 'Order service upstream calls',
        description: 'MCP calls from the order service to customer/product/payment by outcome.',
      }),
    ],
  );
  g.line(
    8,
    [12, toolTimeouts({ title: 'Tool timeouts', description: 'Tool calls that hit the deadline (TIMEOUT).', by: [...bySvc, 'tool'] })],
    [
      12,
      dependenciesDown({
        title: 'Dependencies down',
        description: 'mcp_dependency_up == 0 per service and dependency (database, cache).',
        by: bySvc,
      }),
    ],
  );
  return dashboard({
    uid: 'fedmcp-fleet',
    title: 'Federated MCP: fleet overview',
    description: 'All four domain MCP servers: availability, traffic, errors, latency, cache, database, upstream calls.',
    tags: ['fedmcp', 'mcp'],
    panels: g.panels,
    links: [
      { title: 'Per-service dashboard', type: 'dashboards', tags: ['fedmcp-service'], asDropdown: true, includeVars: false, keepTime: true },
      { title: 'Traces (Jaeger)', type: 'link', url: 'http://localhost:16686/search', targetBlank: true, icon: 'external link' },
    ],
  });
}

function serviceDashboard() {
  nextId = 1;
  const matchers = ['service="$service"', 'instance=~"$instance"'];
  const toolMatchers = [...matchers, 'tool=~"$tool"'];
  const byTool = ['tool'];
  const g = grid();
  g.row('Health');
  g.line(
    4,
    [8, upStat({ title: 'Instances up', matchers })],
    [8, readinessStat({ title: 'Readiness', description: '2 ready, 1 degraded, 0 not ready.', matchers })],
    [8, dependencyStat({ title: 'Dependencies', description: 'mcp_dependency_up per dependency (worst instance).', matchers })],
  );
  g.row('MCP traffic');
  g.line(
    8,
    [12, requestRate({ title: 'Requests by method and status', matchers, labels: ['method', 'status'] })],
    [12, toolCallRate({ title: 'Tool calls by tool and status', matchers: toolMatchers, by: byTool })],
  );
  g.line(
    8,
    [8, toolErrorRate({ title: 'Tool error rate by tool', matchers: toolMatchers, by: byTool })],
    [8, toolErrorsByCode({ title: 'Tool errors by code', matchers: toolMatchers, by: byTool })],
    [8, toolTimeouts({ title: 'Tool timeouts', matchers: toolMatchers, by: byTool })],
  );
  g.row('Tool latency');
  g.line(9, [24, toolLatency({ title: `Tool latency ${QUANTILES.map((q) => q[0]).join(' / ')}`, matchers: toolMatchers, by: byTool })]);
  g.row('Cache and database');
  g.line(
    8,
    [8, cacheHitRate({ title: 'Cache hit rate', matchers })],
    [8, dbQueryLatency({ title: 'Database query p95 by operation', matchers, by: ['operation'] })],
    [8, dbQueryRate({ title: 'Database queries by operation', matchers, by: ['operation'] })],
  );
  g.line(
    8,
    [12, dbConnections({ title: 'Database connections', matchers })],
    [
      12,
      upstreamCalls({
        title: 'Upstream calls (order service)',
        description: 'Only the order service calls other servers; empty for the others.',
        matchers,
        by: ['server', 'tool'],
        latency: true,
      }),
    ],
  );
  g.row('Audit trail and contracts');
  g.line(
    8,
    [8, processPanel('mcp_audit_buffer_rows', { title: 'Audit rows waiting for their batch insert', matchers, unit: 'short' })],
    [8, processPanel('mcp_audit_events_dropped_total', { title: 'Audit events dropped', description: 'Rows of reads or failed calls lost (buffer full, database away); alert McpAuditEventsDropped.', matchers, rate: true, unit: 'short' })],
    [8, processPanel('mcp_upstream_contract_violations', { title: 'Upstream contract violations (order service)', description: 'Ways an upstream breaks the order service contract; > 0 pauses new orders. Empty for the others.', matchers, unit: 'short' })],
  );
  g.row('Node.js process');
  g.line(
    8,
    [6, processPanel('process_cpu_seconds_total', { title: 'CPU', matchers, rate: true, unit: 'percentunit' })],
    [6, processPanel('process_resident_memory_bytes', { title: 'Resident memory', matchers, unit: 'bytes' })],
    [6, processPanel('nodejs_heap_size_used_bytes', { title: 'Heap used', matchers, unit: 'bytes' })],
    [6, processPanel('nodejs_eventloop_lag_seconds', { title: 'Event loop lag', matchers, unit: 's' })],
  );

  const templating = [
    queryVariable('service', 'Service', 'label_values(mcp_requests_total, service)', { current: { text: 'customer', value: 'customer' } }),
    queryVariable('instance', 'Instance', `label_values(up{${SCRAPE_JOB}, service="$service"}, instance)`, { all: true }),
    queryVariable('tool', 'Tool', 'label_values(mcp_tool_calls_total{service="$service"}, tool)', { all: true }),
  ];
  return dashboard({
    uid: 'fedmcp-service',
    title: 'Federated MCP: service',
    description: 'One MCP server in depth (choose it above): traffic, errors, latency by tool, cache, database, upstream calls, process.',
    tags: ['fedmcp', 'mcp', 'fedmcp-service'],
    panels: g.panels,
    templating,
    links: [
      { title: 'Fleet overview', type: 'link', url: '/d/fedmcp-fleet', keepTime: true, icon: 'dashboard' },
      {
        title: 'Traces of this service (Jaeger)',
        type: 'link',
        url: 'http://localhost:16686/search?service=${service}-service',
        targetBlank: true,
        icon: 'external link',
      },
    ],
  });
}

function buildDashboards() {
  return {
    'fleet-overview.json': fleetOverview(),
    'service.json': serviceDashboard(),
  };
}

module.exports = { buildDashboards };

if (require.main === module) {
  const dir = path.join(__dirname, 'dashboards');
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, json] of Object.entries(buildDashboards())) {
    const text = JSON.stringify(json, null, 2) + '\n';
    const p = path.join(dir, file);
    if (check) {
      const current = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
      if (current !== text) {
        console.error(`stale: infra/grafana/dashboards/${file} (run node infra/grafana/build-dashboards.js)`);
        stale++;
      } else {
        console.log(`up to date: infra/grafana/dashboards/${file}`);
      }
    } else {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(p, text);
      console.log(`wrote infra/grafana/dashboards/${file}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
