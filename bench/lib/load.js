/**
 * Load generators speaking MCP's Streamable HTTP (protocol 2026-07-28: one
 * POST per call, no session) as raw JSON-RPC, so the generator itself costs
 * little: autocannon for fixed-body reads, a closed loop of keep-alive
 * clients for create_order (each order's body differs and its answer is read).
 */
const http = require('node:http');
const autocannon = require('autocannon');

const PROTOCOL = '2026-07-28';

/** The headers and JSON-RPC body a modern MCP client sends for one tools/call. */
function toolCall(tool, args, id = 1, token) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: tool, arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': PROTOCOL, 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' }, 'io.modelcontextprotocol/clientCapabilities': {} } },
  });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': PROTOCOL,
    'mcp-method': 'tools/call',
    'mcp-name': tool,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  return { body, headers };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function latencyStats(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return { p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)), p99_ms: round(percentile(sorted, 99)) };
}

/** One autocannon run: calls, errors (transport, timeouts, non-2xx, unexpected bodies) and every latency. */
async function cannon({ url, request, connections, seconds, expectBody }) {
  const latencies = [];
  const instance = autocannon({ url, method: 'POST', headers: request.headers, body: request.body, connections, duration: seconds, expectBody });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  return { calls: result.requests.total, errors: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0), latencies };
}

const summary = ({ calls, errors, latencies }, seconds) => ({ calls, calls_per_s: round(calls / seconds), ...latencyStats(latencies), errors });

/**
 * Sends the same request over `connections` keep-alive connections for
 * `seconds`; with `expectBody` every answer must be exactly that text.
 */
async function fixedLoad({ url, request, connections, seconds, expectBody }) {
  return summary(await cannon({ url, request, connections, seconds, expectBody }), seconds);
}

/**
 * Endpoints measured side by side: `slices` turns each, in alternation, for
 * `seconds` in all per endpoint, so that each sees the same phases of a
 * noisy host (two runs of one endpoint a minute apart differed by a third
 * here). Before its turn a side's `arrange()` runs (pinning); its
 * `cpuSeconds()` is read around each turn and summed. Returns, per side,
 * what `fixedLoad` does plus `cpu_seconds`.
 */
async function alternatingLoad(sides, { connections, seconds, slices }) {
  const totals = sides.map(() => ({ calls: 0, errors: 0, latencies: [], cpu_seconds: 0 }));
  for (let turn = 0; turn < slices; turn++) {
    for (const [i, side] of sides.entries()) {
      side.arrange?.();
      const before = side.cpuSeconds();
      const r = await cannon({ url: side.url, request: side.request, connections, seconds: seconds / slices, expectBody: side.expectBody });
      totals[i].cpu_seconds += side.cpuSeconds() - before;
      totals[i].calls += r.calls;
      totals[i].errors += r.errors;
      for (const latency of r.latencies) totals[i].latencies.push(latency);
    }
  }
  return totals.map((t) => ({ ...summary(t, seconds), cpu_seconds: t.cpu_seconds }));
}

function post(agent, target, request) {
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/**
 * `concurrency` clients each place orders back to back for `seconds`
 * (closed loop, one keep-alive connection each). `args(i)` gives the i-th
 * order's arguments. Counts confirmed / pending / failed orders and errors.
 */
async function orderLoad({ url, token, concurrency, seconds, args }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latencies = [];
  const outcomes = { confirmed: 0, pending: 0, failed: 0, errors: 0 };
  const failures = {};
  let sample;
  let next = 0;
  const started = performance.now();
  const stopAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < stopAt) {
        const i = next++;
        const t0 = performance.now();
        try {
          const { status, text } = await post(agent, target, toolCall('create_order', args(i), i, token));
          latencies.push(performance.now() - t0);
          const result = status === 200 ? JSON.parse(text).result : undefined;
          const order = result && !result.isError ? result.structuredContent : undefined;
          if (order?.status && order.status in outcomes) outcomes[order.status]++;
          else {
            outcomes.errors++;
            sample ??= `${status} ${text.slice(0, 300)}`;
          }
          if (order?.status === 'failed') failures[order.failure?.code] = (failures[order.failure?.code] ?? 0) + 1;
        } catch (error) {
          latencies.push(performance.now() - t0);
          outcomes.errors++;
          sample ??= String(error);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    orders: next,
    confirmed_per_s: round(outcomes.confirmed / elapsed),
    ...latencyStats(latencies),
    ...outcomes,
    ...(Object.keys(failures).length ? { failure_codes: failures } : {}),
    ...(sample ? { error_sample: sample } : {}),
  };
}

module.exports = { toolCall, fixedLoad, alternatingLoad, orderLoad, post, round };
