import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { serviceNodeArgs } from '@fedmcp/instrumentation/launch';

/** A service running as its own node process, as in production. */
export interface ServiceProcess {
  name: string;
  url: string;
  mcpUrl: string;
  port: number;
  child: ChildProcess;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  stderr: string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<number | null>;
}

/** Ports this process has handed out: never handed out twice (the first may be starting up still). */
const handedOut = new Set<number>();

/**
 * The first port of the kernel's ephemeral range (`ip_local_port_range`):
 * the source ports of outgoing connections and the ports of `listen(0)`.
 * Read once per process.
 */
let ephemeralLowPort: number | undefined;
function ephemeralLow(): number {
  if (ephemeralLowPort === undefined) {
    try {
      ephemeralLowPort = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
    } catch {
      ephemeralLowPort = 32768; // not Linux: the common default
    }
  }
  return ephemeralLowPort;
}

/** Listens on loopback `port` (0: one the kernel chooses) and closes again: the port it had, or undefined if it was taken. */
async function bindOnce(port: number): Promise<number | undefined> {
  const server = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return undefined;
  const { port: had } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return had;
}

/**
 * A free loopback port for a process that will listen on it a little later
 * (a service under test, or one that is stopped and started again on the
 * same port). Chosen at random below the ephemeral range: a port from inside
 * it (what `listen(0)` gives) can be taken in between by any outgoing
 * connection as its source port, including a client's own connect to that
 * very port while nothing listens there (it then connects to itself), and the
 * service's listen fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = 10_000;
  let port: number | undefined;
  for (let attempt = 0; port === undefined && high - low > 1000 && attempt < 50; attempt++) {
    const candidate = low + Math.floor(Math.random() * (high - low + 1));
    if (!handedOut.has(candidate)) port = await bindOnce(candidate);
  }
  // No room below the ephemeral range (or all taken): let the kernel choose.
  port ??= await bindOnce(0);
  if (port === undefined) throw new Error('freePort: cannot listen on 127.0.0.1');
  handedOut.add(port);
  return port;
}

/** Polls `url` until it answers 200 (or the process dies, or time runs out). */
export async function waitForOk(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** The repo root (…/shared/testing/dist → …). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * Starts `services/<name>/dist/main.js` with telemetry preloaded, the given
 * environment and a free port, and waits for /ready.
 */
export interface SpawnOptions {
  port?: number;
  readyTimeoutMs?: number;
  /** Extra node flags, e.g. --cpu-prof or HEAP_PROBE_ARGS. */
  execArgv?: string[];
  /** Opens an IPC channel to the child (the heap probe answers on it). */
  ipc?: boolean;
}

export async function spawnService(name: string, env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const port = options.port ?? (env.PORT && env.PORT !== '0' ? Number(env.PORT) : await freePort());
  const entry = path.join(repoRoot, 'services', name, 'dist', 'main.js');
  const child = spawn(process.execPath, serviceNodeArgs(entry, options.execArgv), {
    cwd: path.join(repoRoot, 'services', name),
    env: { PATH: process.env.PATH, ...env, PORT: String(port), NODE_OPTIONS: '' },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/ready`, options.readyTimeoutMs ?? 90_000, () => alive);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not become ready: ${(error as Error).message}\n${stderr.join('')}\n${lines.slice(-20).join('\n')}`);
  }
  return {
    name,
    url,
    mcpUrl: `${url}/mcp`,
    port,
    child,
    lines,
    stderr,
    exited,
    signal: (sig) => void child.kill(sig),
    stop: async () => {
      if (alive) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** What a process that was expected to stop on its own did. */
export interface ExitedProcess {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

/**
 * Runs `services/<name>/dist/main.js` as `spawnService` does but expects it to
 * exit by itself (e.g. on bad configuration); kills it after `timeoutMs`.
 */
export async function runServiceToExit(name: string, env: NodeJS.ProcessEnv, timeoutMs = 15000): Promise<ExitedProcess> {
  const entry = path.join(repoRoot, 'services', name, 'dist', 'main.js');
  const child = spawn(process.execPath, serviceNodeArgs(entry), {
    cwd: path.join(repoRoot, 'services', name),
    env: { PATH: process.env.PATH, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
  return { code, stdout: lines(out), stderr: lines(err) };
}
