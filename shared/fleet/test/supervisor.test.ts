import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectClient, freePort } from '@fedmcp/testing';
import { AUTH_SERVER, FLEET, repoRoot } from '../src/services';

jest.setTimeout(300_000);

let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let dataDir: string;
let env: NodeJS.ProcessEnv;

/** A token from the running platform's authorization server (`npm run token`): authorization is on under npm start. */
async function token(service: string, ...scopes: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot(), 'shared/fleet/dist/token.js'), service, ...scopes], { env });
  return stdout.trim();
}
const ports: Record<string, number> = {};
const base = (name: string) => `http://127.0.0.1:${ports[name]}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}\n--- runner output (tail) ---\n${output.slice(-4000)}`);
}

/** The pid of a service's latest process, from the supervisor's "<name> started (pid N)" lines. */
function pidOf(name: string): number {
  const pids = [...output.matchAll(new RegExp(`\\[supervisor\\] ${name} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
  return pids[pids.length - 1];
}

async function readiness(name: string): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const response = await fetch(`${base(name)}/ready`, { signal: AbortSignal.timeout(3000) });
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-supervise-'));
  for (const svc of [...FLEET, AUTH_SERVER]) ports[svc.name] = await freePort();
  env = { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  for (const svc of [...FLEET, AUTH_SERVER]) env[`${svc.name.toUpperCase()}_PORT`] = String(ports[svc.name]);
  child = spawn(process.execPath, [path.join(repoRoot(), 'shared/fleet/dist/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the platform to be up', () => output.includes('platform is up') || child.exitCode !== null, 180_000);
  expect(output).toContain('platform is up');
});

afterAll(async () => {
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const svc of FLEET) await expect(fetch(`${base(svc.name)}/health`)).rejects.toThrow();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start supervises the services', () => {
  it('restarts a service killed with SIGKILL within seconds while the other three keep serving', async () => {
    const before = pidOf('payment');
    process.kill(before, 'SIGKILL');
    await until('the supervisor to notice', () => output.includes('payment stopped unexpectedly (signal SIGKILL); restarting it in 0.5 s (restart 1)'), 10_000);
    for (const name of ['customer', 'product', 'order']) expect((await readiness(name)).status).toBe(200);

    await until('payment to be back', () => output.includes('payment is back'), 60_000);
    expect(pidOf('payment')).not.toBe(before);
    expect(await readiness('payment')).toMatchObject({ status: 200, body: { status: 'ready' } });
    // The order service sees it again on its own.
    await until('the order service to see payment again', async () => (await readiness('order')).body.checks.payment === 'ok', 30_000);
  });

  it('gives up on a service that keeps crashing, says so, and the order service degrades instead of failing', async () => {
    // Kill product and take its port, so every restart dies at start (EADDRINUSE): a crash loop.
    // The squatter answers nothing; connections made to it (the order service's) are cut when it closes.
    const sockets = new Set<net.Socket>();
    const squatter = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await until(
      'the product port to be taken',
      async () => {
        if (child.exitCode !== null) return true;
        const pid = pidOf('product');
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        return new Promise<boolean>((resolve) => {
          squatter.once('error', () => resolve(false));
          squatter.listen(ports.product, '127.0.0.1', () => resolve(true));
        });
      },
      30_000,
    );
    try {
      await until('the supervisor to give up on product', () => /product stopped unexpectedly \([^)]*\) and has crashed 5 times in a row.*giving up on it/.test(output), 120_000);
      expect(output).toContain('The other services keep running');
      expect(child.exitCode).toBeNull();
      for (const name of ['customer', 'payment']) expect((await readiness(name)).body.status).toBe('ready');
      const order = await readiness('order');
      expect(order).toMatchObject({ status: 200, body: { status: 'degraded', checks: { product: 'degraded', customer: 'ok', payment: 'ok' } } });

      // An order placed now fails with a clear code; nothing hangs.
      const customers = await connectClient(`${base('customer')}/mcp`, 'modern', await token('customer', 'customer:read'));
      const orders = await connectClient(`${base('order')}/mcp`, 'modern', await token('order', 'order:write'));
      try {
        const [buyer] = (await customers.ok<{ items: { customer_id: string; status: string }[] }>('search_customers', { status: 'active', limit: 1 })).items;
        const placed = await orders.ok<{ status: string; failure: { code: string } | null }>('create_order', {
          customer_id: buyer.customer_id,
          items: [{ product_id: 'prd_anything', quantity: 1 }],
          payment_method: 'pm_card_ok',
        });
        expect(placed).toMatchObject({ status: 'failed', failure: { code: 'DEPENDENCY_UNAVAILABLE' } });
      } finally {
        await Promise.all([customers.close(), orders.close()]);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
