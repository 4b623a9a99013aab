/**
 * The development authorization server (`services/auth`) for tests: its own
 * process on a free port with its own data directory, plus token helpers.
 * A process rather than in-process: oidc-provider is an ES module, which
 * jest loads through its VM-module loader in tens of seconds per test file;
 * node loads it natively in well under one.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, repoRoot, waitForOk } from './processes';
import { HeadlessOAuthOptions, HeadlessOAuthProvider, RegisteredClient, registerClient, registerClientCredentialsClient, TokenCache } from './oauth';

export interface TestAuthServerOptions {
  /** Access-token lifetime (ACCESS_TOKEN_TTL_SECONDS). Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Keep keys and clients here (default: a fresh temporary directory, removed by stop()). */
  dataDir?: string;
  /** Extra environment (e.g. ORDER_CLIENT_SECRET, LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface TestAuthServer {
  /** The issuer: set it as AUTH_ISSUER on the servers it protects. */
  issuer: string;
  jwksUrl: string;
  port: number;
  dataDir: string;
  /** The order service's confidential client (set as AUTH_CLIENT_ID / AUTH_CLIENT_SECRET on the order service). */
  orderClient: { clientId: string; clientSecret: string };
  /** Environment that puts a platform server behind this authorization server. */
  serviceEnv(): Record<string, string>;
  /** Environment for the order service: the above plus its client credentials. */
  orderServiceEnv(): Record<string, string>;
  /** A client-credentials access token for `resource` (a server's PUBLIC_URL / MCP URL) with `scopes`, cached. */
  token(resource: string, scopes: string[] | string): Promise<string>;
  /** Registers a client by dynamic client registration. */
  registerClient(metadata: Record<string, unknown>): Promise<RegisteredClient>;
  /** Registers a confidential client for the client-credentials grant. */
  registerClientCredentialsClient(name?: string): Promise<RegisteredClient>;
  /** A headless OAuth provider (authorization code + PKCE + DCR through the login page) for connectClient / the SDK transports. */
  oauthProvider(options?: HeadlessOAuthOptions): HeadlessOAuthProvider;
  /** Publishes a new signing key (the old one stays published) and waits until the JWKS shows it. */
  rotateKeys(): Promise<void>;
  /** Key ids currently published in the JWKS. */
  publishedKids(): Promise<string[]>;
  /** The server's JSON log lines so far. */
  lines: string[];
  /** Stops the process and starts it again on the same port and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface Child {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function spawnAuth(env: NodeJS.ProcessEnv, lines: string[]): Child {
  const entry = path.join(repoRoot, 'services', 'auth', 'dist', 'main.js');
  const child = spawn(process.execPath, [entry], { cwd: path.dirname(entry), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  const collect = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/**
 * Starts the development authorization server (`services/auth/dist/main.js`,
 * built by `npm test`) for a test file. Use `serviceEnv()` / `orderServiceEnv()`
 * for the servers, `token()` for client-credentials tokens and
 * `oauthProvider()` for the authorization-code flow.
 */
export async function startTestAuthServer(options: TestAuthServerOptions = {}): Promise<TestAuthServer> {
  const port = await freePort();
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-auth-'));
  const issuer = `http://127.0.0.1:${port}`;
  const orderClient = { clientId: 'order-service', clientSecret: `test-order-secret-${port}-${Math.random().toString(36).slice(2)}` };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ORDER_CLIENT_ID: orderClient.clientId,
    ORDER_CLIENT_SECRET: orderClient.clientSecret,
    ...(options.accessTokenTtlSeconds ? { ACCESS_TOKEN_TTL_SECONDS: String(options.accessTokenTtlSeconds) } : {}),
    ...options.env,
  };
  const lines: string[] = [];
  let running: Child | undefined;
  const start = async () => {
    const current = spawnAuth(env, lines);
    running = current;
    let alive = true;
    void current.exited.then(() => (alive = false));
    try {
      await waitForOk(`${issuer}/health`, 30000, () => alive);
    } catch (error) {
      current.child.kill('SIGKILL');
      throw new Error(`authorization server did not start: ${(error as Error).message}\n${lines.slice(-10).join('\n')}`);
    }
  };
  const stopProcess = async () => {
    if (!running) return;
    if (running.child.exitCode === null) running.child.kill('SIGTERM');
    await running.exited;
    running = undefined;
  };
  await start();

  const tokens = new TokenCache(issuer);
  const jwksUrl = `${issuer}/jwks`;
  const publishedKids = async () => ((await (await fetch(jwksUrl)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  return {
    issuer,
    jwksUrl,
    port,
    dataDir,
    orderClient,
    lines,
    serviceEnv: () => ({ AUTH_ISSUER: issuer }),
    orderServiceEnv: () => ({ AUTH_ISSUER: issuer, AUTH_CLIENT_ID: orderClient.clientId, AUTH_CLIENT_SECRET: orderClient.clientSecret }),
    token: (resource, scopes) => tokens.token(resource, scopes),
    registerClient: (metadata) => registerClient(issuer, metadata),
    registerClientCredentialsClient: (name) => registerClientCredentialsClient(issuer, name),
    oauthProvider: (providerOptions) => new HeadlessOAuthProvider(providerOptions),
    publishedKids,
    async rotateKeys() {
      const before = await publishedKids();
      running!.child.kill('SIGHUP');
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline) {
        const now = await publishedKids();
        if (now[0] !== before[0]) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the authorization server did not publish a new signing key within 10 s');
    },
    async restart() {
      await stopProcess();
      await start();
    },
    async stop() {
      await stopProcess();
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
