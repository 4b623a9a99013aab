import { createMetrics, METRIC } from '../src';

/** The metric names SPEC (Telemetry) promises, spelled out here on purpose: a renamed constant must fail this test. */
const SPEC_METRICS = [
  'mcp_requests_total',
  'mcp_tool_calls_total',
  'mcp_tool_errors_total',
  'mcp_tool_call_duration_seconds',
  'mcp_timeouts_total',
  'mcp_cache_hits_total',
  'mcp_cache_misses_total',
  'mcp_db_query_duration_seconds',
  'mcp_db_connections_active',
  'mcp_upstream_calls_total',
  'mcp_upstream_call_duration_seconds',
];

describe('createMetrics', () => {
  it('registers every SPEC metric name', async () => {
    const metrics = createMetrics({ service: 'customer', defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(SPEC_METRICS));
    expect(Object.values(METRIC)).toEqual(expect.arrayContaining(SPEC_METRICS));
  });

  it('puts the service label on every exposed series', async () => {
    const metrics = createMetrics({ service: 'customer', defaultMetrics: false });
    metrics.requests.inc({ method: 'tools/call', status: 'ok' });
    metrics.toolCalls.inc({ tool: 'get_customer', status: 'success' });
    metrics.toolErrors.inc({ tool: 'get_customer', error_type: 'NOT_FOUND' });
    metrics.toolDuration.observe({ tool: 'get_customer' }, 0.02);
    metrics.timeouts.inc({ tool: 'get_customer' });
    metrics.cacheHits.inc({ cache: 'customer' });
    metrics.cacheMisses.inc({ cache: 'customer' });
    metrics.dbQueryDuration.observe({ operation: 'SELECT' }, 0.001);
    metrics.dbConnectionsActive.set(1);
    metrics.upstreamCalls.inc({ server: 'product', tool: 'reserve_inventory', status: 'success' });
    metrics.upstreamDuration.observe({ server: 'product', tool: 'reserve_inventory' }, 0.05);

    const text = await metrics.registry.metrics();
    for (const name of SPEC_METRICS) {
      const series = text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name}_bucket{`) || line.startsWith(`${name} `));
      expect({ name, series: series.length > 0 }).toEqual({ name, series: true });
      for (const line of series) expect(line).toContain('service="customer"');
    }
    expect(text).toMatch(/mcp_requests_total\{[^}]*method="tools\/call"[^}]*status="ok"[^}]*\} 1/);
    expect(text).toMatch(/mcp_tool_errors_total\{[^}]*tool="get_customer"[^}]*error_type="NOT_FOUND"[^}]*\} 1/);
    expect(text).toMatch(/mcp_db_query_duration_seconds_bucket\{[^}]*operation="SELECT"/);
    expect(text).toContain('# TYPE mcp_tool_call_duration_seconds histogram');
    expect(text).toContain('# TYPE mcp_upstream_call_duration_seconds histogram');
  });

  it('keeps services apart: each registry has its own label and counts', async () => {
    const a = createMetrics({ service: 'customer', defaultMetrics: false });
    const b = createMetrics({ service: 'order', defaultMetrics: false });
    a.cacheHits.inc({ cache: 'customer' }, 3);
    expect(await a.registry.metrics()).toMatch(/mcp_cache_hits_total\{[^}]*service="customer"[^}]*\} 3/);
    expect(await b.registry.metrics()).not.toMatch(/mcp_cache_hits_total\{/);
  });
});
