import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serviceTestEnv } from './databases';
import { ServiceProcess, freePort, spawnService } from './processes';
import { connectClient, TestClient } from './clients';

export type PlatformService = 'customer' | 'product' | 'payment' | 'order';

export interface PlatformOptions {
  /** Extra environment for every service (e.g. OTLP export settings). */
  env?: Record<string, string>;
  /** Extra environment for one service. */
  serviceEnv?: Partial<Record<PlatformService, Record<string, string>>>;
  /** Rewrite the URL the order service uses for an upstream (e.g. through a TcpProxy). */
  upstreamUrl?: (name: Exclude<PlatformService, 'order'>, mcpUrl: string) => Promise<string> | string;
}

export interface Platform {
  processes: Record<PlatformService, ServiceProcess>;
  envs: Record<PlatformService, NodeJS.ProcessEnv>;
  clients: Record<PlatformService, TestClient>;
  /** Starts a service again with the same database and port (after stop or kill). */
  restart(name: PlatformService): Promise<ServiceProcess>;
  stop(): Promise<void>;
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
    envs[name] = await serviceTestEnv(name, { LOG_LEVEL: 'info', ...options.env, ...options.serviceEnv?.[name], PORT: String(await freePort()) });
    // Embedded databases on disk, not in memory, so a restarted service finds its data.
    if (envs[name].DATA_DIR === 'memory://') envs[name].DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), `fedmcp-${name}-`));
  }
  const processes = {} as Record<PlatformService, ServiceProcess>;
  await Promise.all((['customer', 'product', 'payment'] as const).map(async (name) => (processes[name] = await spawnService(name, envs[name]))));
  for (const name of ['customer', 'product', 'payment'] as const) {
    const url = processes[name].mcpUrl;
    envs.order[`${name.toUpperCase()}_MCP_URL`] = options.upstreamUrl ? await options.upstreamUrl(name, url) : url;
  }
  processes.order = await spawnService('order', envs.order);
  const clients = {} as Record<PlatformService, TestClient>;
  for (const name of names) clients[name] = await connectClient(processes[name].mcpUrl);
  return {
    processes,
    envs,
    clients,
    async restart(name) {
      processes[name] = await spawnService(name, envs[name]);
      return processes[name];
    },
    async stop() {
      await Promise.all(Object.values(clients).map((c) => c.close().catch(() => undefined)));
      await Promise.all(Object.values(processes).map((p) => p.stop()));
      for (const env of Object.values(envs)) if (env.DATA_DIR?.startsWith(os.tmpdir())) fs.rmSync(env.DATA_DIR, { recursive: true, force: true });
    },
  };
}
