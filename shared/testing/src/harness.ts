import { connectClient, Generation, TestClient } from './clients';
import { dropTestDatabases, serviceTestEnv } from './databases';

interface Startable<S> {
  start(): Promise<{ url: string; mcpUrl: string; stop(): Promise<void> }>;
}

export interface InProcessService<S> {
  service: S;
  url: string;
  mcpUrl: string;
  env: NodeJS.ProcessEnv;
  /** A modern (2026-07-28) client, connected once. */
  client: TestClient;
  /** Another client of any generation (closed by stop()). */
  connect(generation?: Generation): Promise<TestClient>;
  stop(): Promise<void>;
}

/**
 * Starts one service in this test process on its own fresh database and an
 * ephemeral port, with a real MCP client over HTTP. One per test file.
 */
export async function startInProcess<S extends Startable<S>>(
  name: string,
  create: (env: NodeJS.ProcessEnv) => Promise<S>,
  extraEnv: Record<string, string> = {},
): Promise<InProcessService<S>> {
  const env = await serviceTestEnv(name, extraEnv);
  const service = await create(env);
  const running = await service.start();
  const clients: TestClient[] = [];
  const connect = async (generation: Generation = 'modern') => {
    const c = await connectClient(running.mcpUrl, generation);
    clients.push(c);
    return c;
  };
  const client = await connect();
  return {
    service,
    url: running.url,
    mcpUrl: running.mcpUrl,
    env,
    client,
    connect,
    stop: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await running.stop();
      await dropTestDatabases();
    },
  };
}
