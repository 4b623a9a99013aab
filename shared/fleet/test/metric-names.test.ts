/**
 * Dashboards and alert rules may only name metrics the services export:
 * the names in the registry @fedmcp/instrumentation's createMetrics() builds
 * (histograms also as _bucket/_sum/_count, prom-client's default process
 * metrics included), and Prometheus' own `up`.
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { METRIC } from '../../instrumentation/src/semconv';
import { createMetrics } from '../../instrumentation/src/metrics';
import { extractGrafanaMetricNames, extractMetricNames } from '../src/promql';
import { listFiles, repoPath } from './repo';

interface MetricInfo {
  name: string;
  type: string;
}

function expand(metrics: MetricInfo[]): Set<string> {
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    if (m.type === 'histogram' || m.type === 'summary') {
      for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    }
  }
  return names;
}

/**
 * What a service really exports: the registry createMetrics() builds (the
 * platform metrics plus prom-client's default process metrics). Imported from
 * source so no build is needed.
 */
async function registryMetrics(): Promise<MetricInfo[]> {
  const { registry } = createMetrics({ service: 'metric-names-test' });
  return (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
}

interface Expr {
  where: string;
  expr: string;
  grafanaVariable?: boolean;
}

function collectDashboardExprs(file: string): Expr[] {
  const json = JSON.parse(fs.readFileSync(repoPath(file), 'utf8')) as Record<string, unknown>;
  const out: Expr[] = [];
  const walkPanels = (panels: unknown[], trail: string) => {
    for (const p of panels as Array<Record<string, unknown>>) {
      const title = `${trail} / ${String(p.title ?? p.id)}`;
      for (const t of (p.targets as Array<Record<string, unknown>> | undefined) ?? []) {
        if (typeof t.expr === 'string') out.push({ where: `${title} [${String(t.refId)}]`, expr: t.expr });
      }
      if (Array.isArray(p.panels)) walkPanels(p.panels, title);
    }
  };
  walkPanels((json.panels as unknown[]) ?? [], file);
  const templating = (json.templating as { list?: Array<Record<string, unknown>> } | undefined)?.list ?? [];
  for (const v of templating) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (q) out.push({ where: `${file} / variable $${String(v.name)}`, expr: q, grafanaVariable: true });
  }
  return out;
}

function collectRuleExprs(file: string): Expr[] {
  const doc = parseYaml(fs.readFileSync(repoPath(file), 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, string>> }> };
  return doc.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `${file} / ${g.name} / ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

const DASHBOARDS = listFiles('infra/grafana/dashboards', /\.json$/);
const RULES = listFiles('infra/prometheus/rules', /\.ya?ml$/);

describe('extractMetricNames', () => {
  it('finds metric names and skips functions, labels, keywords, durations and variables', () => {
    expect(
      extractMetricNames(
        'histogram_quantile(0.95, sum by (service, tool, le) (rate(mcp_tool_call_duration_seconds_bucket{service="$service", tool=~"a|b"}[$__rate_interval])))',
      ),
    ).toEqual(['mcp_tool_call_duration_seconds_bucket']);
    expect(extractMetricNames('sum(rate(a_total[5m])) by (x) / on(service) group_left(tool) b offset 1h > 0.05 and c == bool 1')).toEqual([
      'a_total',
      'b',
      'c',
    ]);
    expect(extractMetricNames('1 - mcp_dependency_up')).toEqual(['mcp_dependency_up']);
    expect(extractMetricNames('label_replace(up, "dst", "$1", "src", "(.*)")')).toEqual(['up']);
    expect(extractMetricNames('rate(x[5m:30s]) * 1e3')).toEqual(['x']);
  });

  it('understands Grafana variable queries', () => {
    expect(extractGrafanaMetricNames('label_values(mcp_requests_total, service)')).toEqual(['mcp_requests_total']);
    expect(extractGrafanaMetricNames('label_values(up{job="fedmcp", service="$service"}, instance)')).toEqual(['up']);
    expect(extractGrafanaMetricNames('label_values(service)')).toEqual([]);
    expect(extractGrafanaMetricNames('query_result(topk(3, foo))')).toEqual(['foo']);
  });
});

describe('dashboards and alert rules use only exported metrics', () => {
  let allowed: Set<string>;
  let histograms: string[];

  beforeAll(async () => {
    const exported = await registryMetrics();
    histograms = exported.filter((m) => m.type === 'histogram').map((m) => m.name);
    allowed = expand(exported);
    allowed.add('up'); // Prometheus' own, per scrape target
  });

  it('has dashboards and rule files to check', () => {
    expect(DASHBOARDS).toEqual(expect.arrayContaining(['infra/grafana/dashboards/fleet-overview.json', 'infra/grafana/dashboards/service.json']));
    expect(RULES.length).toBeGreaterThan(0);
  });

  it('the allowed set covers the SPEC metrics and the process metrics', () => {
    for (const name of [
      ...Object.values(METRIC),
      'mcp_tool_call_duration_seconds_bucket',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect({ name, allowed: allowed.has(name) }).toEqual({ name, allowed: true });
    }
    expect(histograms).toEqual(
      expect.arrayContaining([METRIC.TOOL_CALL_DURATION_SECONDS, METRIC.DB_QUERY_DURATION_SECONDS, METRIC.UPSTREAM_CALL_DURATION_SECONDS]),
    );
  });

  it('would catch a metric the services do not export', () => {
    const names = extractMetricNames('sum(rate(mcp_tool_call_total[5m])) / mcp_db_connections_idle');
    expect(names.filter((n) => !allowed.has(n))).toEqual(['mcp_tool_call_total', 'mcp_db_connections_idle']);
  });

  const cases: Expr[] = [...DASHBOARDS.flatMap(collectDashboardExprs), ...RULES.flatMap(collectRuleExprs)];

  it.each(cases.map((c) => [c.where, c] as const))('%s', (_where, c) => {
    const names = c.grafanaVariable ? extractGrafanaMetricNames(c.expr) : extractMetricNames(c.expr);
    expect(names.length).toBeGreaterThan(0);
    const unknown = names.filter((n) => !allowed.has(n));
    expect({ expr: c.expr, unknown }).toEqual({ expr: c.expr, unknown: [] });
  });

  it('every METRIC the platform defines appears in a dashboard or a rule', () => {
    const used = new Set(cases.flatMap((c) => (c.grafanaVariable ? extractGrafanaMetricNames(c.expr) : extractMetricNames(c.expr))));
    const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
    const usedBase = new Set([...used].map(base));
    const missing = Object.values(METRIC).filter((m) => !used.has(m) && !usedBase.has(m));
    expect(missing).toEqual([]);
  });
});

describe('Grafana dashboards', () => {
  it('are up to date with infra/grafana/build-dashboards.js', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildDashboards } = require(repoPath('infra/grafana/build-dashboards.js')) as {
      buildDashboards: () => Record<string, unknown>;
    };
    for (const [file, json] of Object.entries(buildDashboards())) {
      expect(fs.readFileSync(repoPath('infra/grafana/dashboards', file), 'utf8')).toBe(JSON.stringify(json, null, 2) + '\n');
    }
  });

  it.each(DASHBOARDS)('%s has a unique uid, valid grid and only the provisioned datasources', (file) => {
    const text = fs.readFileSync(repoPath(file), 'utf8');
    const json = JSON.parse(text) as { uid: string; panels: Array<{ id: number; gridPos: { x: number; w: number } }> };
    expect(json.uid).toMatch(/^fedmcp-/);
    const ids = json.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of json.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    const uids = new Set([...text.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]));
    uids.delete(json.uid);
    uids.delete('-- Grafana --');
    expect([...uids].sort()).toEqual(['prometheus']);
  });
});
