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

function timeseries({ title, description, targets, unit = 'short', gridPos, min, max, stack = false }) {
  return {
    id: nextId++,
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    gridPos,
    targets: refIds(targets),
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

function stat({ title, description, targets, gridPos, mappings = [], thresholds, unit = 'none', colorMode = 'background' }) {
  return {
    id: nextId++,
    type: 'stat',
    title,
    description,
    datasource: DS,
    gridPos,
    targets: refIds(targets),
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

function quantile(q, sel, by) {
  return `histogram_quantile(${q}, sum by (${by}, le) (rate(mcp_tool_call_duration_seconds_bucket${sel}[${RI}])))`;
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
  const panels = [];
  let y = 0;
  panels.push(row('Availability', y++));
  panels.push(
    stat({
      title: 'Scrape target up',
      description: 'Prometheus `up` per service: can /metrics be scraped.',
      targets: [target('min by (service) (up{job="fedmcp"})', '{{service}}')],
      gridPos: { h: 4, w: 12, x: 0, y },
      mappings: UP_MAPPINGS,
      thresholds: UP_THRESHOLDS,
    }),
    stat({
      title: 'Readiness',
      description: 'mcp_readiness_status (worst instance): 2 ready, 1 degraded (e.g. cache down), 0 not ready (database down).',
      targets: [target('min by (service) (mcp_readiness_status)', '{{service}}')],
      gridPos: { h: 4, w: 12, x: 12, y },
      mappings: READY_MAPPINGS,
      thresholds: READY_THRESHOLDS,
    }),
  );
  y += 4;
  panels.push(row('Traffic and errors', y++));
  panels.push(
    timeseries({
      title: 'MCP request rate by service',
      description: 'JSON-RPC requests per second (all methods).',
      targets: [target(`sum by (service) (rate(mcp_requests_total[${RI}]))`, '{{service}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 8, x: 0, y },
    }),
    timeseries({
      title: 'Tool error rate by service',
      description: 'Share of tool calls with status=error.',
      targets: [
        target(
          `sum by (service) (rate(mcp_tool_calls_total{status="error"}[${RI}])) / sum by (service) (rate(mcp_tool_calls_total[${RI}]))`,
          '{{service}}',
        ),
      ],
      unit: 'percentunit',
      min: 0,
      gridPos: { h: 8, w: 8, x: 8, y },
    }),
    timeseries({
      title: 'Tool errors by code',
      description: 'mcp_tool_errors_total by SPEC error code.',
      targets: [target(`sum by (service, error_type) (rate(mcp_tool_errors_total[${RI}]))`, '{{service}} {{error_type}}')],
      unit: 'reqps',
      stack: true,
      gridPos: { h: 8, w: 8, x: 16, y },
    }),
  );
  y += 8;
  panels.push(row('Tool latency', y++));
  [
    ['p50', 0.5, 0],
    ['p95', 0.95, 8],
    ['p99', 0.99, 16],
  ].forEach(([name, q, x]) => {
    panels.push(
      timeseries({
        title: `Tool latency ${name} by tool`,
        description: `${name} of mcp_tool_call_duration_seconds per service and tool.`,
        targets: [target(quantile(q, '', 'service, tool'), '{{service}}/{{tool}}')],
        unit: 's',
        gridPos: { h: 9, w: 8, x, y },
      }),
    );
  });
  y += 9;
  panels.push(row('Dependencies', y++));
  panels.push(
    timeseries({
      title: 'Cache hit rate',
      description: 'hits / (hits + misses) per service and cache.',
      targets: [
        target(
          `sum by (service, cache) (rate(mcp_cache_hits_total[${RI}])) / (sum by (service, cache) (rate(mcp_cache_hits_total[${RI}])) + sum by (service, cache) (rate(mcp_cache_misses_total[${RI}])))`,
          '{{service}}/{{cache}}',
        ),
      ],
      unit: 'percentunit',
      min: 0,
      max: 1,
      gridPos: { h: 8, w: 8, x: 0, y },
    }),
    timeseries({
      title: 'Database pool in use',
      description: 'mcp_db_connections_active / mcp_db_connections_max (worst instance).',
      targets: [target('max by (service) (mcp_db_connections_active / mcp_db_connections_max)', '{{service}}')],
      unit: 'percentunit',
      min: 0,
      max: 1,
      gridPos: { h: 8, w: 8, x: 8, y },
    }),
    timeseries({
      title: 'Order service upstream calls',
      description: 'MCP calls from the order service to customer/product/payment by outcome.',
      targets: [target(`sum by (server, status) (rate(mcp_upstream_calls_total[${RI}]))`, '{{server}} {{status}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 8, x: 16, y },
    }),
  );
  y += 8;
  panels.push(
    timeseries({
      title: 'Tool timeouts',
      description: 'Tool calls that hit the deadline (TIMEOUT).',
      targets: [target(`sum by (service, tool) (rate(mcp_timeouts_total[${RI}]))`, '{{service}}/{{tool}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 12, x: 0, y },
    }),
    timeseries({
      title: 'Dependencies down',
      description: 'mcp_dependency_up == 0 per service and dependency (database, cache).',
      targets: [target('sum by (service, dependency) (1 - mcp_dependency_up)', '{{service}} {{dependency}}')],
      unit: 'short',
      min: 0,
      gridPos: { h: 8, w: 12, x: 12, y },
    }),
  );
  return dashboard({
    uid: 'fedmcp-fleet',
    title: 'Federated MCP: fleet overview',
    description: 'All four domain MCP servers: availability, traffic, errors, latency, cache, database, upstream calls.',
    tags: ['fedmcp', 'mcp'],
    panels,
    links: [
      { title: 'Per-service dashboard', type: 'dashboards', tags: ['fedmcp-service'], asDropdown: true, includeVars: false, keepTime: true },
      { title: 'Traces (Jaeger)', type: 'link', url: 'http://localhost:16686/search', targetBlank: true, icon: 'external link' },
    ],
  });
}

function serviceDashboard() {
  nextId = 1;
  const sel = '{service="$service", instance=~"$instance"}';
  const selTool = '{service="$service", instance=~"$instance", tool=~"$tool"}';
  const panels = [];
  let y = 0;
  panels.push(row('Health', y++));
  panels.push(
    stat({
      title: 'Instances up',
      targets: [target('up{job="fedmcp", service="$service", instance=~"$instance"}', '{{instance}}')],
      gridPos: { h: 4, w: 8, x: 0, y },
      mappings: UP_MAPPINGS,
      thresholds: UP_THRESHOLDS,
    }),
    stat({
      title: 'Readiness',
      description: '2 ready, 1 degraded, 0 not ready.',
      targets: [target(`mcp_readiness_status${sel}`, '{{instance}}')],
      gridPos: { h: 4, w: 8, x: 8, y },
      mappings: READY_MAPPINGS,
      thresholds: READY_THRESHOLDS,
    }),
    stat({
      title: 'Dependencies',
      description: 'mcp_dependency_up per dependency (worst instance).',
      targets: [target(`min by (dependency) (mcp_dependency_up${sel})`, '{{dependency}}')],
      gridPos: { h: 4, w: 8, x: 16, y },
      mappings: UP_MAPPINGS,
      thresholds: UP_THRESHOLDS,
    }),
  );
  y += 4;
  panels.push(row('MCP traffic', y++));
  panels.push(
    timeseries({
      title: 'Requests by method and status',
      targets: [target(`sum by (method, status) (rate(mcp_requests_total${sel}[${RI}]))`, '{{method}} {{status}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 12, x: 0, y },
    }),
    timeseries({
      title: 'Tool calls by tool and status',
      targets: [target(`sum by (tool, status) (rate(mcp_tool_calls_total${selTool}[${RI}]))`, '{{tool}} {{status}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 12, x: 12, y },
    }),
  );
  y += 8;
  panels.push(
    timeseries({
      title: 'Tool error rate by tool',
      targets: [
        target(
          `sum by (tool) (rate(mcp_tool_calls_total{service="$service", instance=~"$instance", tool=~"$tool", status="error"}[${RI}])) / sum by (tool) (rate(mcp_tool_calls_total${selTool}[${RI}]))`,
          '{{tool}}',
        ),
      ],
      unit: 'percentunit',
      min: 0,
      gridPos: { h: 8, w: 8, x: 0, y },
    }),
    timeseries({
      title: 'Tool errors by code',
      targets: [target(`sum by (tool, error_type) (rate(mcp_tool_errors_total${selTool}[${RI}]))`, '{{tool}} {{error_type}}')],
      unit: 'reqps',
      stack: true,
      gridPos: { h: 8, w: 8, x: 8, y },
    }),
    timeseries({
      title: 'Tool timeouts',
      targets: [target(`sum by (tool) (rate(mcp_timeouts_total${selTool}[${RI}]))`, '{{tool}}')],
      unit: 'reqps',
      gridPos: { h: 8, w: 8, x: 16, y },
    }),
  );
  y += 8;
  panels.push(row('Tool latency', y++));
  panels.push(
    timeseries({
      title: 'Tool latency p50 / p95 / p99',
      targets: [
        target(quantile(0.5, selTool, 'tool'), '{{tool}} p50'),
        target(quantile(0.95, selTool, 'tool'), '{{tool}} p95'),
        target(quantile(0.99, selTool, 'tool'), '{{tool}} p99'),
      ],
      unit: 's',
      gridPos: { h: 9, w: 24, x: 0, y },
    }),
  );
  y += 9;
  panels.push(row('Cache and database', y++));
  panels.push(
    timeseries({
      title: 'Cache hit rate',
      targets: [
        target(
          `sum by (cache) (rate(mcp_cache_hits_total${sel}[${RI}])) / (sum by (cache) (rate(mcp_cache_hits_total${sel}[${RI}])) + sum by (cache) (rate(mcp_cache_misses_total${sel}[${RI}])))`,
          '{{cache}}',
        ),
      ],
      unit: 'percentunit',
      min: 0,
      max: 1,
      gridPos: { h: 8, w: 8, x: 0, y },
    }),
    timeseries({
      title: 'Database query p95 by operation',
      targets: [
        target(
          `histogram_quantile(0.95, sum by (operation, le) (rate(mcp_db_query_duration_seconds_bucket${sel}[${RI}])))`,
          '{{operation}}',
        ),
      ],
      unit: 's',
      gridPos: { h: 8, w: 8, x: 8, y },
    }),
    timeseries({
      title: 'Database queries by operation',
      targets: [target(`sum by (operation) (rate(mcp_db_query_duration_seconds_count${sel}[${RI}]))`, '{{operation}}')],
      unit: 'ops',
      gridPos: { h: 8, w: 8, x: 16, y },
    }),
  );
  y += 8;
  panels.push(
    timeseries({
      title: 'Database connections',
      targets: [
        target(`sum by (instance) (mcp_db_connections_active${sel})`, '{{instance}} active'),
        target(`sum by (instance) (mcp_db_connections_max${sel})`, '{{instance}} max'),
      ],
      unit: 'short',
      min: 0,
      gridPos: { h: 8, w: 12, x: 0, y },
    }),
    timeseries({
      title: 'Upstream calls (order service)',
      description: 'Only the order service calls other servers; empty for the others.',
      targets: [
        target(`sum by (server, tool, status) (rate(mcp_upstream_calls_total${sel}[${RI}]))`, '{{server}}/{{tool}} {{status}}'),
        target(
          `histogram_quantile(0.95, sum by (server, tool, le) (rate(mcp_upstream_call_duration_seconds_bucket${sel}[${RI}])))`,
          '{{server}}/{{tool}} p95 (s)',
        ),
      ],
      unit: 'short',
      gridPos: { h: 8, w: 12, x: 12, y },
    }),
  );
  y += 8;
  panels.push(row('Node.js process', y++));
  panels.push(
    timeseries({
      title: 'CPU',
      targets: [target(`rate(process_cpu_seconds_total${sel}[${RI}])`, '{{instance}}')],
      unit: 'percentunit',
      gridPos: { h: 8, w: 6, x: 0, y },
    }),
    timeseries({
      title: 'Resident memory',
      targets: [target(`process_resident_memory_bytes${sel}`, '{{instance}}')],
      unit: 'bytes',
      gridPos: { h: 8, w: 6, x: 6, y },
    }),
    timeseries({
      title: 'Heap used',
      targets: [target(`nodejs_heap_size_used_bytes${sel}`, '{{instance}}')],
      unit: 'bytes',
      gridPos: { h: 8, w: 6, x: 12, y },
    }),
    timeseries({
      title: 'Event loop lag',
      targets: [target(`nodejs_eventloop_lag_seconds${sel}`, '{{instance}}')],
      unit: 's',
      gridPos: { h: 8, w: 6, x: 18, y },
    }),
  );

  const templating = [
    {
      name: 'service',
      label: 'Service',
      type: 'query',
      datasource: DS,
      query: { query: 'label_values(mcp_requests_total, service)', refId: 'service' },
      definition: 'label_values(mcp_requests_total, service)',
      refresh: 2,
      sort: 1,
      multi: false,
      includeAll: false,
      current: { text: 'customer', value: 'customer' },
      options: [],
    },
    {
      name: 'instance',
      label: 'Instance',
      type: 'query',
      datasource: DS,
      query: { query: 'label_values(up{job="fedmcp", service="$service"}, instance)', refId: 'instance' },
      definition: 'label_values(up{job="fedmcp", service="$service"}, instance)',
      refresh: 2,
      sort: 1,
      multi: true,
      includeAll: true,
      allValue: '.*',
      current: { text: 'All', value: '$__all' },
      options: [],
    },
    {
      name: 'tool',
      label: 'Tool',
      type: 'query',
      datasource: DS,
      query: { query: 'label_values(mcp_tool_calls_total{service="$service"}, tool)', refId: 'tool' },
      definition: 'label_values(mcp_tool_calls_total{service="$service"}, tool)',
      refresh: 2,
      sort: 1,
      multi: true,
      includeAll: true,
      allValue: '.*',
      current: { text: 'All', value: '$__all' },
      options: [],
    },
  ];
  return dashboard({
    uid: 'fedmcp-service',
    title: 'Federated MCP: service',
    description: 'One MCP server in depth (choose it above): traffic, errors, latency by tool, cache, database, upstream calls, process.',
    tags: ['fedmcp', 'mcp', 'fedmcp-service'],
    panels,
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
