import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serviceTestEnv } from './databases';
import { ServiceProcess, SpawnOptions, freePort, spawnService } from './processes';
import { ClientAuth, connectClient, TestClient } from './clients';
import type { TestAuthServer } from './auth-server';
import { protectedResourceMetadataUrl } from './resource-contract';

export type PlatformService = 'customer' | 'product' | 'payment' | 'order';

export interface PlatformOptions {
  /**
   * Put every server behind this authorization server (AUTH_ISSUER set; the
   * order service with its own client credentials); the platform's clients
   * then use client-credentials tokens with every scope each server lists.
   */
  auth?: TestAuthServer;
  /** Extra environment for every service (e.g. OTLP export settings). */
  env?: Record<string, string>;
  /** Extra environment for one service. */
  serviceEnv?: Partial<Record<PlatformService, Record<string, string>>>;
  /** Rewrite the URL the order service uses for an upstream (e.g. through a TcpProxy). */
  upstreamUrl?: (name: Exclude<PlatformService, 'order'>, mcpUrl: string) => Promise<string> | string;
  /** Rewrite the DATABASE_URL a service uses (e.g. through a TcpProxy, to cut its database away). */
  databaseUrl?: (name: PlatformService, url: string) => Promise<string> | string;
  /** Extra node flags for every service process (e.g. `--cpu-prof`, HEAP_PROBE_ARGS). */
  execArgv?: string[];
  /** An IPC channel to every service process (the heap probe answers on it). */
  ipc?: boolean;
  /** How long each service may take to become ready (default 90 s: a loaded machine starts slowly). */
  readyTimeoutMs?: number;
  /** How the platform's own clients authenticate, per service (servers started with AUTH_ISSUER refuse them otherwise). */
  clientAuth?: (name: PlatformService, mcpUrl: string) => ClientAuth | undefined;
}

export interface Platform {
  processes: Record<PlatformService, ServiceProcess>;
  envs: Record<PlatformService, NodeJS.ProcessEnv>;
  clients: Record<PlatformService, TestClient>;
  /** Starts a service again with the same database and port (after stop or kill). */
  restart(name: PlatformService): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** A token source with every scope the server lists in its protected-resource metadata. */
async function fullScopeTokens(auth: TestAuthServer, mcpUrl: string): Promise<{ token(): Promise<string> }> {
  const metadata = (await (await fetch(protectedResourceMetadataUrl(mcpUrl))).json()) as { scopes_supported: string[] };
  return { token: () => auth.token(mcpUrl, metadata.scopes_supported) };
}

/**
 * All four services as separate processes, each on its own fresh database,
 * the order service pointed at the other three, with a modern MCP client
 * connected to each.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const names: PlatformService[] = ['customer', 'product', 'payment', 'order'];
  const envs = {} as Record<PlatformService, NodeJS.ProcessEnv>;
  for (const name of names) {
    const authEnv = options.auth ? (name === 'order' ? options.auth.orderServiceEnv() : options.auth.serviceEnv()) : {};
    envs[name] = await serviceTestEnv(name, { LOG_LEVEL: 'info', ...authEnv, ...options.env, ...options.serviceEnv?.[name], PORT: String(await freePort()) });
    // Embedded databases on disk, not in memory, so a restarted service finds its data.
    if (envs[name].DATA_DIR === 'memory://') envs[name].DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), `fedmcp-${name}-`));
    const databaseUrl = envs[name].DATABASE_URL;
    if (databaseUrl && options.databaseUrl) envs[name].DATABASE_URL = await options.databaseUrl(name, databaseUrl);
  }
  const processes = {} as Record<PlatformService, ServiceProcess>;
  const clients = {} as Record<PlatformService, TestClient>;
  const spawnOptions: SpawnOptions = { execArgv: options.execArgv, ipc: options.ipc, readyTimeoutMs: options.readyTimeoutMs };
  const stop = async () => {
    await Promise.all(Object.values(clients).map((c) => c.close().catch(() => undefined)));
    await Promise.all(Object.values(processes).map((p) => p.stop()));
    for (const env of Object.values(envs)) if (env.DATA_DIR?.startsWith(os.tmpdir())) fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
  };
  try {
    // allSettled: when one service fails to start, the others are still recorded, and stopped below.
    const started = await Promise.allSettled((['customer', 'product', 'payment'] as const).map(async (name) => (processes[name] = await spawnService(name, envs[name], spawnOptions))));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const name of ['customer', 'product', 'payment'] as const) {
      const url = processes[name].mcpUrl;
      envs.order[`${name.toUpperCase()}_MCP_URL`] = options.upstreamUrl ? await options.upstreamUrl(name, url) : url;
      // The audience of the order service's tokens: the upstream's own URL, even when calls go through a proxy.
      if (options.auth) envs.order[`${name.toUpperCase()}_PUBLIC_URL`] = url;
    }
    processes.order = await spawnService('order', envs.order, spawnOptions);
    for (const name of names) {
      const auth = options.clientAuth?.(name, processes[name].mcpUrl) ?? (options.auth && (await fullScopeTokens(options.auth, processes[name].mcpUrl)));
      clients[name] = await connectClient(processes[name].mcpUrl, 'modern', auth);
    }
  } catch (error) {
    // Nothing spawned outlives a platform that did not start.
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    processes,
    envs,
    clients,
    async restart(name) {
      processes[name] = await spawnService(name, envs[name], spawnOptions);
      return processes[name];
    },
    stop,
  };
}
