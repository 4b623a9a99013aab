/**
 * `npm start`: runs all four services on this machine, each as its own
 * process on its default port with an embedded database in ./.data (no
 * Docker), the order service pointed at the other three. Prints the MCP URLs
 * and a Claude configuration, streams the services' logs, stops them on Ctrl+C.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { FLEET, FleetService, INSTRUMENTATION_REGISTER, packagePath, repoRoot } from './services';
import { claudeInstructions } from './claude-config';

interface Running {
  svc: FleetService;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const READY_TIMEOUT_MS = 60_000;

/** The port a service gets here: its default, or `<NAME>_PORT` (e.g. CUSTOMER_PORT=4001). */
function portOf(svc: FleetService): number {
  const override = process.env[`${svc.name.toUpperCase()}_PORT`];
  return override ? Number(override) : svc.port;
}

const baseUrl = (svc: FleetService) => `http://127.0.0.1:${portOf(svc)}`;
const mcpUrl = (svc: FleetService) => `${baseUrl(svc)}/mcp`;

function serviceEnv(svc: FleetService): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(portOf(svc)), DATA_DIR: process.env.DATA_DIR ?? path.join(repoRoot(), '.data') };
  if (svc.name === 'order') {
    for (const other of FLEET) if (other.mcpUrlEnv) env[other.mcpUrlEnv] ??= mcpUrl(other);
  }
  return env;
}

function launch(svc: FleetService): Running {
  const child = spawn(process.execPath, ['--require', INSTRUMENTATION_REGISTER, svc.entry], {
    cwd: packagePath(svc),
    env: serviceEnv(svc),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = `[${svc.name}]`.padEnd(11);
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label}${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { svc, child, exited };
}

async function waitReady(run: Running): Promise<void> {
  const url = `${baseUrl(run.svc)}/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let dead = false;
  void run.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${run.svc.name} exited during start (see its log lines above; is port ${portOf(run.svc)} already in use?)`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${run.svc.name} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopAll(runs: Running[]): Promise<void> {
  for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGTERM');
  await Promise.all(runs.map((r) => r.exited));
}

async function main(): Promise<void> {
  // The order service calls the others: start it last.
  const ordered = [...FLEET.filter((s) => s.name !== 'order'), ...FLEET.filter((s) => s.name === 'order')];
  const runs: Running[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopAll(runs);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    for (const svc of ordered) {
      const run = launch(svc);
      runs.push(run);
      void run.exited.then((code) => {
        if (!stopping) {
          process.stderr.write(`${svc.name} stopped unexpectedly (exit ${code}); stopping the platform.\n`);
          void shutdown(1);
        }
      });
    }
    await Promise.all(runs.map(waitReady));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    await shutdown(1);
    return;
  }
  const endpoints = FLEET.map((svc) => ({ svc, mcpUrl: mcpUrl(svc) }));
  const banner = [
    '',
    'Federated MCP commerce platform is up (embedded PostgreSQL in ./.data, demo data loaded).',
    '',
    ...endpoints.map(({ svc, mcpUrl }) => `  ${svc.name.padEnd(9)} ${mcpUrl}   (health ${baseUrl(svc)}/ready, metrics ${baseUrl(svc)}/metrics)`),
    '',
    claudeInstructions(endpoints),
    '',
    'Check the fleet: npm run status      Stop: Ctrl+C',
    '',
  ].join('\n');
  process.stdout.write(banner + '\n');
}

void main();
