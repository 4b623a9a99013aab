import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HeadlessOAuthProvider } from './oauth';

export type Generation = 'modern' | 'legacy-v2' | 'v1';

/** One page of a list tool. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

let sequence = 0;
/** A suffix unique within this test run, for emails, SKUs, ids and keys that must not collide. */
export const unique = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

export interface ToolOutcome<T = Record<string, unknown>> {
  isError: boolean;
  data: T;
  /** structuredContent.error of a failed call. */
  error?: { code: string; message: string; details?: unknown };
  text: string;
}

/** The subset of client behaviour tests use, whatever the protocol generation. */
export interface TestClient {
  generation: Generation;
  listTools(): Promise<{ name: string; inputSchema: unknown; outputSchema?: unknown; annotations?: Record<string, unknown>; title?: string; description?: string }[]>;
  call<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<ToolOutcome<T>>;
  /** Calls a tool that must succeed and returns its structuredContent (throws with the error text otherwise). */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Follows a list tool's next_cursor from the first page to the last (at most `maxPages`) and returns every page. */
  pages<T>(name: string, args?: Record<string, unknown>, maxPages?: number): Promise<Page<T>[]>;
  raw: Client | V1Client;
  close(): Promise<void>;
}

function outcome<T>(input: unknown): ToolOutcome<T> {
  const result = input as { isError?: boolean; structuredContent?: unknown; content?: unknown };
  const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
  const content = (result.content as { type: string; text?: string }[] | undefined) ?? [];
  return {
    isError: result.isError === true,
    data: structured as T,
    error: result.isError ? (structured.error as ToolOutcome['error']) : undefined,
    text: content.find((c) => c.type === 'text')?.text ?? '',
  };
}

interface SdkClient {
  listTools(): Promise<{ tools: unknown[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * How a test client authenticates: a bearer token, a token source asked
 * before every request (e.g. `() => auth.token(url, scopes)`), or a
 * HeadlessOAuthProvider that runs the full OAuth flow as Claude does.
 */
export type ClientAuth = string | { token(): Promise<string | undefined> | string | undefined } | HeadlessOAuthProvider;

type AnyTransport = { finishAuth(arg: never): Promise<void> };

/** Completes a sign-in the SDK started (redirectToAuthorization) on `transport`; false when none is pending. */
async function finishPendingAuth(generation: Generation, transport: AnyTransport, auth: ClientAuth | undefined): Promise<boolean> {
  if (!(auth instanceof HeadlessOAuthProvider) || !auth.callback) return false;
  const back = auth.takeCallback()!;
  // v2 checks the RFC 9207 `iss` of the whole response; v1 takes the code only.
  await transport.finishAuth((generation === 'v1' ? back.searchParams.get('code') : back.searchParams) as never);
  return true;
}

function wrap(generation: Generation, client: Client | V1Client, reauthorize: () => Promise<boolean> = async () => false): TestClient {
  const sdk = client as unknown as SdkClient;
  // A call refused for a missing scope makes the SDK sign in again (step-up); finish it and retry once.
  const withStepUp = async <R>(run: () => Promise<R>): Promise<R> => {
    try {
      return await run();
    } catch (error) {
      if (await reauthorize()) return run();
      throw error;
    }
  };
  const call = async <T>(name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>) =>
    outcome<T>(await withStepUp(() => sdk.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) })));
  const ok = async <T>(name: string, args: Record<string, unknown> = {}) => {
    const result = await call<T>(name, args);
    if (result.isError) throw new Error(`${name} failed: ${result.text}`);
    return result.data;
  };
  return {
    generation,
    raw: client,
    listTools: async () => (await withStepUp(() => sdk.listTools())).tools as never,
    call,
    ok,
    pages: async <T>(name: string, args: Record<string, unknown> = {}, maxPages = 50) => {
      const pages: Page<T>[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<T> = await ok<Page<T>>(name, { ...args, ...(cursor ? { cursor } : {}) });
        pages.push(page);
        cursor = page.next_cursor;
      } while (cursor && pages.length < maxPages);
      return pages;
    },
    close: () => sdk.close(),
  };
}

/** A fetch that adds `Authorization: Bearer` from a fixed token or a token source. */
function bearerFetch(auth: Exclude<ClientAuth, HeadlessOAuthProvider>): typeof fetch {
  return async (input, init) => {
    const token = typeof auth === 'string' ? auth : await auth.token();
    const headers = new Headers(init?.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

/**
 * Connects a real MCP client over Streamable HTTP: `modern` speaks protocol
 * 2026-07-28 (v2 client, pinned), `legacy-v2` the v2 client's 2025
 * handshake, `v1` the v1 `@modelcontextprotocol/sdk` client (2025-11-25).
 *
 * `auth` (optional): a bearer token, a token source, or a
 * HeadlessOAuthProvider. With the provider the client follows the server's
 * 401 discovery (protected-resource metadata → authorization-server
 * metadata → registration → authorize with PKCE and `resource` → token),
 * signs in through the login page and connects again, as Claude does.
 */
export async function connectClient(mcpUrl: string, generation: Generation = 'modern', auth?: ClientAuth): Promise<TestClient> {
  const oauth = auth instanceof HeadlessOAuthProvider ? auth : undefined;
  const options = oauth ? { authProvider: oauth as never } : auth !== undefined ? { fetch: bearerFetch(auth as Exclude<ClientAuth, HeadlessOAuthProvider>) } : {};
  const create = () => {
    if (generation === 'v1') return { client: new V1Client({ name: 'test-v1', version: '1.0.0' }), transport: new V1Transport(new URL(mcpUrl), options) };
    return {
      client: new Client({ name: `test-${generation}`, version: '1.0.0' }, generation === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
      transport: new StreamableHTTPClientTransport(new URL(mcpUrl), options),
    };
  };
  let { client, transport } = create();
  try {
    await client.connect(transport as never);
  } catch (error) {
    // The first connect signs in (401 → discovery → login page); finish it and connect again.
    if (!(await finishPendingAuth(generation, transport as unknown as AnyTransport, auth))) throw error;
    ({ client, transport } = create());
    await client.connect(transport as never);
  }
  return wrap(generation, client, () => finishPendingAuth(generation, transport as unknown as AnyTransport, auth));
}

/** Sends one raw JSON-RPC body to /mcp and returns status, headers and body text. */
export async function postRaw(mcpUrl: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

