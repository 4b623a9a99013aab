/**
 * `npm run status`: a multi-server monitor for the fleet.
 *
 * For every service it runs three checks concurrently, each bounded by its
 * own timeout: `GET /health` (liveness), `GET /ready` (readiness and
 * dependency checks) and an MCP `tools/list` over Streamable HTTP (one MCP
 * client per server). It prints a table (or JSON with --json) and exits 1
 * when any service is down.
 *
 * A service is
 *   - up        when /health is 200, /ready is 200 "ready" and tools/list answers;
 *   - degraded  when it serves (/health 200, /ready 200, tools/list answers) but
 *               /ready reports "degraded" (e.g. Redis down: cache "degraded");
 *   - down      otherwise: unreachable, timed out, /health not 200, /ready 503
 *               (not_ready: its database is unreachable) or tools/list failing.
 *
 * URLs: http://127.0.0.1:300N by default (the local start command and the
 * compose stack publish the same ports). Override all hosts with
 * --base-url http://HOST (or FLEET_BASE_URL; each service keeps its port),
 * one service with --url customer=http://HOST:PORT (or CUSTOMER_URL,
 * ORDER_URL, PRODUCT_URL, PAYMENT_URL).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { FLEET, FleetService, SERVICE_NAMES, defaultBaseUrl, getService } from './services';
import { authorizationFor } from './token';

export type ServiceState = 'up' | 'degraded' | 'down';

export interface CheckResult {
  ok: boolean;
  latency_ms: number;
  /** HTTP status code (health/ready), when a response arrived. */
  http_status?: number;
  error?: string;
}

export interface ServiceStatus {
  service: string;
  url: string;
  status: ServiceState;
  /** Wall-clock time of this service's (concurrent) checks. */
  latency_ms: number;
  /** Number of tools from tools/list; null when tools/list failed. */
  tools: number | null;
  /** Dependencies /ready reports as neither "ok" nor "disabled", e.g. ["cache:degraded"]. */
  degraded: string[];
  /** Readiness status string from /ready ("ready" | "degraded" | "not_ready"), when available. */
  readiness?: string;
  checks: { health: CheckResult; ready: CheckResult; tools_list: CheckResult };
  /** Why the service is down (first failing check). */
  error?: string;
}

export interface StatusTarget {
  service: string;
  url: string;
}

export interface StatusOptions {
  /** Timeout of each individual check, in milliseconds. */
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 3000;

const CLIENT_INFO = { name: 'fedmcp-fleet-status', version: '0.1.0' };

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeMsg =
      cause instanceof Error ? cause.message : cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : '';
    const name = err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timeout' : '';
    const msg = name || err.message || err.name;
    return causeMsg && !msg.includes(causeMsg) ? `${msg} (${causeMsg})` : msg;
  }
  return String(err);
}

/** Runs `fn` with an AbortSignal that fires after `ms`; rejects with "timeout after N ms" no matter what `fn` does. */
async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timeout after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: string; latency_ms: number }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { value, latency_ms: Math.round(performance.now() - start) };
  } catch (err) {
    return { error: errorMessage(err), latency_ms: Math.round(performance.now() - start) };
  }
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return withTimeout(timeoutMs, async (signal) => {
    const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body };
  });
}

/** tools/list of one server; behind an authorization server, with a read token for exactly that server (as `npm run reconcile` does). */
async function listTools(name: string, mcpUrl: string, timeoutMs: number): Promise<number> {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  try {
    return await withTimeout(timeoutMs, async (signal) => {
      const headers = await authorizationFor(name, mcpUrl, process.env);
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
      await client.connect(transport, { signal, timeout: timeoutMs });
      const result = await client.listTools(undefined, { signal, timeout: timeoutMs, cacheMode: 'bypass' });
      return result.tools.length;
    });
  } finally {
    // Never let a hung close keep the command alive.
    await Promise.race([client.close().catch(() => undefined), new Promise((r) => setTimeout(r, 200).unref())]);
  }
}

interface ReadyBody {
  status?: unknown;
  checks?: Record<string, unknown>;
}

/** Checks one service: /health, /ready and MCP tools/list, concurrently. */
export async function checkService(target: StatusTarget, opts: StatusOptions): Promise<ServiceStatus> {
  const base = stripSlash(target.url);
  const start = performance.now();
  const [health, ready, tools] = await Promise.all([
    timed(() => getJson(`${base}/health`, opts.timeoutMs)),
    timed(() => getJson(`${base}/ready`, opts.timeoutMs)),
    timed(() => listTools(target.service, `${base}/mcp`, opts.timeoutMs)),
  ]);
  const latency = Math.round(performance.now() - start);

  const healthCheck: CheckResult = {
    ok: health.value?.status === 200,
    latency_ms: health.latency_ms,
    http_status: health.value?.status,
    error: health.error ?? (health.value && health.value.status !== 200 ? `HTTP ${health.value.status}` : undefined),
  };

  const readyBody: ReadyBody =
    ready.value && typeof ready.value.body === 'object' && ready.value.body !== null ? (ready.value.body as ReadyBody) : {};
  const readiness = typeof readyBody.status === 'string' ? readyBody.status : undefined;
  const readyCheck: CheckResult = {
    ok: ready.value?.status === 200,
    latency_ms: ready.latency_ms,
    http_status: ready.value?.status,
    error:
      ready.error ??
      (ready.value && ready.value.status !== 200 ? `HTTP ${ready.value.status}${readiness ? ` ${readiness}` : ''}` : undefined),
  };
  const degraded = Object.entries(readyBody.checks ?? {})
    .filter(([, v]) => v !== 'ok' && v !== 'disabled')
    .map(([k, v]) => `${k}:${typeof v === 'string' ? v : JSON.stringify(v)}`);

  const toolsCheck: CheckResult = { ok: tools.error === undefined, latency_ms: tools.latency_ms, error: tools.error };

  let status: ServiceState;
  let error: string | undefined;
  if (!healthCheck.ok) {
    status = 'down';
    error = `health: ${healthCheck.error}`;
  } else if (!readyCheck.ok) {
    status = 'down';
    error = `ready: ${readyCheck.error}`;
  } else if (!toolsCheck.ok) {
    status = 'down';
    error = `tools/list: ${toolsCheck.error}`;
  } else if (readiness === 'degraded' || (readiness !== undefined && readiness !== 'ready') || degraded.length > 0) {
    status = 'degraded';
  } else {
    status = 'up';
  }

  return {
    service: target.service,
    url: base,
    status,
    latency_ms: latency,
    tools: toolsCheck.ok ? (tools.value as number) : null,
    degraded,
    readiness,
    checks: { health: healthCheck, ready: readyCheck, tools_list: toolsCheck },
    ...(error ? { error } : {}),
  };
}

/** Checks every target concurrently; results keep the targets' order. */
export function checkFleet(targets: StatusTarget[], opts: StatusOptions): Promise<ServiceStatus[]> {
  return Promise.all(targets.map((t) => checkService(t, opts)));
}

export function exitCode(results: ServiceStatus[], strict = false): number {
  if (results.some((r) => r.status === 'down')) return 1;
  if (strict && results.some((r) => r.status === 'degraded')) return 2;
  return 0;
}

/** A plain-text table, one row per service. */
export function formatTable(results: ServiceStatus[]): string {
  const header = ['SERVICE', 'URL', 'STATUS', 'LATENCY', 'TOOLS', 'DEGRADED / ERROR'];
  const rows = results.map((r) => [
    r.service,
    r.url,
    r.status,
    `${r.latency_ms} ms`,
    r.tools === null ? '-' : String(r.tools),
    r.error ?? (r.degraded.length ? r.degraded.join(', ') : '-'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const up = results.filter((r) => r.status === 'up').length;
  const degraded = results.filter((r) => r.status === 'degraded').length;
  const down = results.filter((r) => r.status === 'down').length;
  return [line(header), ...rows.map(line), '', `${up} up, ${degraded} degraded, ${down} down`].join('\n') + '\n';
}

export interface CliOptions {
  targets: StatusTarget[];
  json: boolean;
  strict: boolean;
  timeoutMs: number;
  help: boolean;
}

export const USAGE = `Usage: npm run status -- [options]
       node shared/fleet/dist/status.js [options]

Checks /health, /ready and MCP tools/list of every service concurrently,
prints a table and exits 1 when any service is down (2 with --strict when
one is degraded).

Options:
  --json                  print JSON instead of a table
  --timeout <ms>          timeout of each check (default ${DEFAULT_TIMEOUT_MS}; env FLEET_STATUS_TIMEOUT_MS)
  --base-url <url>        scheme and host for every service, each keeps its port
                          (default http://127.0.0.1; env FLEET_BASE_URL)
  --url <service>=<url>   base URL of one service (repeatable; env CUSTOMER_URL,
                          ORDER_URL, PRODUCT_URL, PAYMENT_URL)
  --only <a,b>            check only these services (${SERVICE_NAMES.join(', ')})
  --strict                also fail (exit 2) when a service is degraded
  -h, --help              this text
`;

function baseWithPort(base: string, svc: FleetService): string {
  const u = new URL(base);
  u.port = String(svc.port);
  return stripSlash(u.toString());
}

/** Parses argv (without node and script) and the environment into options. Throws on bad input. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let json = false;
  let strict = false;
  let help = false;
  let timeoutMs = env.FLEET_STATUS_TIMEOUT_MS ? Number(env.FLEET_STATUS_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  let baseUrl = env.FLEET_BASE_URL || undefined;
  let only: string[] | undefined;
  const urls = new Map<string, string>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--json':
        json = true;
        break;
      case '--strict':
        strict = true;
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      case '--timeout':
        timeoutMs = Number(value());
        break;
      case '--base-url':
        baseUrl = value();
        break;
      case '--only':
        only = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--url': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--url expects <service>=<url>, got "${v}"`);
        urls.set(getService(v.slice(0, eq)).name, v.slice(eq + 1));
        break;
      }
      default:
        throw new Error(`unknown option "${arg}"`);
    }
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error('--timeout must be a positive number of milliseconds');
  if (baseUrl !== undefined) {
    try {
      new URL(baseUrl);
    } catch {
      throw new Error(`--base-url is not a URL: "${baseUrl}"`);
    }
  }

  const selected = only ? only.map((n) => getService(n)) : [...FLEET];
  const targets = selected.map((svc) => {
    const url = urls.get(svc.name) ?? env[svc.urlEnv] ?? (baseUrl ? baseWithPort(baseUrl, svc) : defaultBaseUrl(svc));
    try {
      new URL(url);
    } catch {
      throw new Error(`URL of ${svc.name} is not a URL: "${url}"`);
    }
    return { service: svc.name, url: stripSlash(url) };
  });
  return { targets, json, strict, timeoutMs, help };
}

/** Runs the command; returns the exit code. */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, env);
  } catch (e) {
    err(`fleet status: ${errorMessage(e)}\n\n${USAGE}`);
    return 64;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  const results = await checkFleet(opts.targets, { timeoutMs: opts.timeoutMs });
  out(opts.json ? JSON.stringify({ services: results, exit_code: exitCode(results, opts.strict) }, null, 2) + '\n' : formatTable(results));
  return exitCode(results, opts.strict);
}

if (require.main === module) {
  main().then(
    (code) => {
      // Exit explicitly (keep-alive sockets must not hold the command open), after stdout drains.
      process.stdout.write('', () => process.exit(code));
    },
    (e) => {
      process.stderr.write(`fleet status: ${errorMessage(e)}\n`);
      process.exit(70);
    },
  );
}
