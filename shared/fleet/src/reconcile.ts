/**
 * `npm run reconcile`: checks the platform's cross-service invariants from the
 * outside, through the services' MCP read tools only (list_orders, get_order,
 * list_reservations, search_products, list_payments), never their databases.
 * The checks themselves are the order service's (the same code its
 * `reconcile_orders` tool runs), so there is one definition of "consistent";
 * this command has no tool time budget, so it also suits large platforms.
 * Prints every violation with its ids; exits 1 when there is any.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CheckOptions, ReconcileReport, ReconcileSource, reconcile } from '@fedmcp/order/dist/reconcile/snapshot';
import { DEFAULT_GRACE_SECONDS } from '@fedmcp/order/dist/reconcile/reconcile.tools';
import { FleetService, defaultBaseUrl, getService } from './services';
import { authorizationFor } from './token';

/** Calls one tool of one service and returns its structuredContent (throws on a tool error). */
export type ToolCaller = (service: 'order' | 'product' | 'payment', tool: string, args: Record<string, unknown>) => Promise<unknown>;

type Page<T> = { items: T[]; next_cursor: string | null };
const page = (cursor?: string) => ({ limit: 100, ...(cursor ? { cursor } : {}) });

/** A reconcile source over MCP tool calls (the fleet command's, and the chaos run's). */
export function mcpSource(call: ToolCaller): ReconcileSource {
  return {
    orders: (cursor) => call('order', 'list_orders', page(cursor)) as Promise<Page<never>>,
    order: async (id) => {
      try {
        return (await call('order', 'get_order', { order_id: id })) as never;
      } catch (error) {
        if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
        throw error;
      }
    },
    reservations: (cursor) => call('product', 'list_reservations', page(cursor)) as Promise<Page<never>>,
    products: (cursor) => call('product', 'search_products', page(cursor)) as Promise<Page<never>>,
    payments: (cursor) => call('payment', 'list_payments', page(cursor)) as Promise<Page<never>>,
  };
}

/** A tool error raised by a ToolCaller (code from structuredContent.error). */
export class RemoteToolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks the invariants over what `call` reads. */
export function reconcileFleet(call: ToolCaller, options: CheckOptions): Promise<ReconcileReport> {
  return reconcile(mcpSource(call), options);
}

/** Human-readable report: one line per violation, then a summary. */
export function formatReport(report: ReconcileReport): string {
  const c = report.checked;
  const lines = report.violations.map((v) => `VIOLATION ${v.kind}: ${v.message}`);
  lines.push(`checked ${c.orders} orders, ${c.reservations} reservations, ${c.payments} payments, ${c.products} products: ${report.violation_count === 0 ? 'no violations' : `${report.violation_count} violation(s)`}`);
  return lines.join('\n') + '\n';
}

export const USAGE = `Usage: npm run reconcile -- [options]

Walks every order, reservation, payment and product through the services' MCP
tools and reports each broken invariant with its ids. Exit 0: consistent;
1: violations found; 2: a service could not be read.

Options:
  --grace <seconds>       orders younger than this are still settling and not judged (default ${DEFAULT_GRACE_SECONDS})
  --url <service>=<url>   base URL of order, product or payment (env ORDER_URL, PRODUCT_URL, PAYMENT_URL;
                          default http://127.0.0.1:300N)
  --json                  print the report as JSON
  -h, --help              this text
`;

interface CliOptions {
  graceMs: number;
  json: boolean;
  help: boolean;
  urls: Record<'order' | 'product' | 'payment', string>;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const urlOf = (svc: FleetService) => env[svc.urlEnv] || defaultBaseUrl(svc);
  const opts: CliOptions = { graceMs: DEFAULT_GRACE_SECONDS * 1000, json: false, help: false, urls: { order: urlOf(getService('order')), product: urlOf(getService('product')), payment: urlOf(getService('payment')) } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') opts.json = true;
    else if (arg === '-h' || arg === '--help') opts.help = true;
    else if (arg === '--grace') {
      const s = Number(value());
      if (!Number.isInteger(s) || s < 0) throw new Error('--grace must be a whole number of seconds, 0 or more');
      opts.graceMs = s * 1000;
    } else if (arg === '--url') {
      const v = value();
      const eq = v.indexOf('=');
      const name = getService(v.slice(0, Math.max(0, eq))).name;
      if (name === 'customer') throw new Error('--url: the reconciler reads order, product and payment');
      opts.urls[name] = v.slice(eq + 1);
    } else throw new Error(`unknown option "${arg}"`);
  }
  return opts;
}

/** A ToolCaller over one MCP client per service (each with its own token when authorization is on). */
async function connectCallers(urls: CliOptions['urls'], env: NodeJS.ProcessEnv): Promise<{ call: ToolCaller; close: () => Promise<void> }> {
  const clients = new Map<string, Client>();
  for (const [name, url] of Object.entries(urls)) {
    const client = new Client({ name: 'fedmcp-reconcile', version: '0.1.0' }, { capabilities: {} });
    const mcpUrl = `${url.replace(/\/+$/, '')}/mcp`;
    const headers = await authorizationFor(name, mcpUrl, env);
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } }));
    clients.set(name, client);
  }
  const call: ToolCaller = async (service, tool, args) => {
    const result = await clients.get(service)!.callTool({ name: tool, arguments: args });
    const structured = (result.structuredContent ?? {}) as { error?: { code: string; message: string } };
    if (result.isError) throw new RemoteToolError(structured.error?.code ?? 'INTERNAL', `${service} ${tool}: ${structured.error?.message ?? 'failed'}`);
    return structured;
  };
  return { call, close: async () => void (await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)))) };
}

export async function main(
  argv: string[] = process.argv.slice(2),
  out: (text: string) => void = (t) => void process.stdout.write(t),
  err: (text: string) => void = (t) => void process.stderr.write(t),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, env);
  } catch (e) {
    err(`reconcile: ${(e as Error).message}\n\n${USAGE}`);
    return 64;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  let session: Awaited<ReturnType<typeof connectCallers>> | undefined;
  try {
    session = await connectCallers(opts.urls, env);
    const report = await reconcileFleet(session.call, { graceMs: opts.graceMs });
    out(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    err(`reconcile: could not read the platform: ${(e as Error).message}\n`);
    return 2;
  } finally {
    await session?.close();
  }
}

if (require.main === module) {
  void main().then((code) => process.stdout.write('', () => process.exit(code)));
}
