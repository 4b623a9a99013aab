import { connectClient, Generation, TestClient } from './clients';
import { dropTestDatabase, serviceTestEnv } from './databases';
import { callAs } from './resource-contract';
import type { TestIssuer } from './test-issuer';

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
      await dropTestDatabase(env.DATABASE_URL);
    },
  };
}

export interface ProtectedService<S> {
  service: S;
  url: string;
  mcpUrl: string;
  env: NodeJS.ProcessEnv;
  /** Calls a tool with a fresh token for `scopes` from the test issuer; returns structuredContent. */
  callAs<T = Record<string, unknown>>(scopes: string[], tool: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts one service in this test process behind `issuer` (AUTH_ISSUER set):
 * its own fresh database and an ephemeral port. One per test file.
 */
export async function startProtectedInProcess<S extends Startable<S>>(
  name: string,
  create: (env: NodeJS.ProcessEnv) => Promise<S>,
  issuer: TestIssuer,
  extraEnv: Record<string, string> = {},
): Promise<ProtectedService<S>> {
  const env = await serviceTestEnv(name, { AUTH_ISSUER: issuer.issuer, ...extraEnv });
  const service = await create(env);
  const running = await service.start();
  return {
    service,
    url: running.url,
    mcpUrl: running.mcpUrl,
    env,
    callAs: (scopes, tool, args = {}) => callAs(running.mcpUrl, issuer, scopes, tool, args),
    stop: async () => {
      await running.stop();
      await dropTestDatabase(env.DATABASE_URL);
    },
  };
}
