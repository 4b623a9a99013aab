/**
 * `npm start`: runs the development authorization server and all four
 * services on this machine, each as its own process on its default port with
 * an embedded database in ./.data (no Docker), authorization on, the order
 * service pointed at the other three. Prints the MCP URLs
 * and a Claude configuration, streams the services' logs, stops them on Ctrl+C.
 * Once the platform is up, a service that dies is restarted (see supervisor.ts)
 * while the others keep serving.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { serviceNodeArgs } from '@fedmcp/instrumentation/launch';
import { AUTH_SERVER, FLEET, FleetService, packagePath, repoRoot } from './services';
import { claudeInstructions } from './claude-config';
import { Supervisor } from './supervisor';
import { authInstructions, authServerEnv, planAuth, serviceAuthEnv } from './auth-wiring';

/** What start launches: the four servers and the development authorization server. */
type Launchable = Pick<FleetService, 'port' | 'packageDir' | 'entry'> & { name: string };

/** Dev authorization server or AUTH_ISSUER of your own (see auth-wiring). */
const auth = planAuth(process.env);

interface Running {
  svc: Launchable;
  child: ChildProcess;
  exited: Promise<number | null>;
}

// A first start seeds the demo data; on a slow or busy machine that takes a while.
const READY_TIMEOUT_MS = 120_000;

/** The port a service gets here: its default, or `<NAME>_PORT` (e.g. CUSTOMER_PORT=4001). */
function portOf(svc: Launchable): number {
  const override = process.env[`${svc.name.toUpperCase()}_PORT`];
  return override ? Number(override) : svc.port;
}

const baseUrl = (svc: Launchable) => `http://127.0.0.1:${portOf(svc)}`;
const mcpUrl = (svc: FleetService) => `${baseUrl(svc)}/mcp`;

function serviceEnv(svc: Launchable): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(portOf(svc)), DATA_DIR: process.env.DATA_DIR ?? path.join(repoRoot(), '.data') };
  if (svc.name === AUTH_SERVER.name) return authServerEnv(auth, env);
  Object.assign(env, serviceAuthEnv(svc.name, auth));
  if (svc.name === 'order') {
    for (const other of FLEET) if (other.mcpUrlEnv) env[other.mcpUrlEnv] ??= mcpUrl(other);
  }
  return env;
}

function launch(svc: Launchable): ChildProcess {
  const child = spawn(process.execPath, serviceNodeArgs(svc.entry), {
    cwd: packagePath(svc),
    env: serviceEnv(svc),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = `[${svc.name}]`.padEnd(11);
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label}${line}\n`));
  }
  return child;
}

function running(svc: Launchable, child: ChildProcess): Running {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
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

async function main(): Promise<void> {
  // The order service calls the others: start it last.
  const ordered = [...FLEET.filter((s) => s.name !== 'order'), ...FLEET.filter((s) => s.name === 'order')];
  // The authorization server first (the servers fetch its keys and the order service its tokens
  // on first use, not at start, so they need not wait for it).
  const launched: Launchable[] = [...(auth.devServer ? [AUTH_SERVER] : []), ...ordered];
  const supervisor = new Supervisor(
    launched.map((svc) => ({ name: svc.name, spawn: () => launch(svc), readyUrl: `${baseUrl(svc)}/ready` })),
    (line) => process.stderr.write(`[supervisor] ${line}\n`),
  );
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await supervisor.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    const first = supervisor.start();
    // A service that cannot come up the first time stops the start (no restarts yet).
    await Promise.all(launched.map((svc) => waitReady(running(svc, first.get(svc.name)!))));
    supervisor.watch();
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
    authInstructions(auth),
    '',
    'Check the fleet: npm run status      Stop: Ctrl+C      A service that dies is restarted.',
    '',
  ].join('\n');
  process.stdout.write(banner + '\n');
}

void main();
