import { z } from 'zod';
import { McpServer, ResourceTemplate, ResourceNotFoundError, createMcpHandler, McpHttpHandler, ServerContext, SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from '@fedmcp/instrumentation';
import { PromptDefinition, ResourceDefinition, ToolDefinition } from './tools';
import { Caller, WrapperDeps, wrapTool } from './tool-wrapper';
import { principalOf } from './principal';
import { LIMITS } from './limits';
import { DirectToolCall, StandardHeaders, directToolCall } from './mcp-direct';

/**
 * A Standard Schema that accepts anything but advertises `json`: the SDK lists
 * the true input/output schemas while our wrapper does the validation, so
 * failures become VALIDATION_ERROR with field paths instead of the SDK's bare
 * text. The JSON is converted once: the SDK asks for it on every request
 * (tools/list and the pre-dispatch parameter check), each with a fresh server.
 */
function advertise(json: Record<string, unknown>) {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'fedmcp',
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: () => json, output: () => json },
    },
  } as never;
}

const toolErrorEnvelope = z.object({
  error: z.object({
    code: z.string().describe('SPEC error code, e.g. VALIDATION_ERROR, NOT_FOUND, CONFLICT'),
    message: z.string().describe('What went wrong and how to fix the call'),
    details: z.unknown().optional(),
  }),
});

const bareJsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return json;
};

/**
 * The output schema: the tool's result, or (with `isError: true`) the error
 * envelope. Clients that validate structuredContent of error results against
 * outputSchema (the v1 SDK client does) accept both.
 */
function outputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', anyOf: [bareJsonSchema(schema, 'output'), bareJsonSchema(toolErrorEnvelope, 'output')] };
}

interface PreparedTool {
  definition: ToolDefinition;
  /** The description as listed: the tool's own text plus the scope it needs. */
  description: string;
  input: never;
  output: never;
  call: (args: unknown, caller: Caller) => Promise<Record<string, unknown>>;
}

/** The caller of one tool call: principal attached by the HTTP layer, `_meta` of the request. */
function callerOf(ctx: ServerContext): Caller {
  return { principal: principalOf(ctx.http?.authInfo), meta: ctx.mcpReq._meta as Record<string, unknown> | undefined };
}

/** Modern `tools/call` requests answered without the SDK's exchange machinery (see mcp-direct.ts). */
export interface DirectCalls {
  /** The call, when the request is one the SDK would answer with nothing but the tool's result. */
  accept(message: unknown, headers: StandardHeaders): DirectToolCall | undefined;
  /** The JSON-RPC answer to an accepted call: the bytes the SDK sends for it. */
  answer(call: DirectToolCall, authInfo: AuthInfo | undefined): Promise<string>;
}

/** The MCP surface of one service: built once, served by a fresh McpServer per request. */
export class McpSurface {
  private readonly tools: PreparedTool[] = [];
  private readonly resources: ResourceDefinition[] = [];
  private readonly prompts: PromptDefinition[] = [];

  constructor(
    private readonly info: { name: string; version: string; instructions?: string },
    private readonly deps: WrapperDeps & { logger: Logger },
  ) {}

  addTool(definition: ToolDefinition): void {
    if (this.tools.some((t) => t.definition.name === definition.name)) throw new Error(`tool ${definition.name} registered twice`);
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(definition.scope ?? '')) throw new Error(`tool ${definition.name} needs a scope (an OAuth scope token such as "customer:read")`);
    // Schemas converted and wrapped once, not per request.
    const description = `${definition.description}\n\nRequires the OAuth scope "${definition.scope}".`;
    this.tools.push({ definition, description, input: advertise(z.toJSONSchema(definition.input, { io: 'input' }) as Record<string, unknown>), output: advertise(outputJsonSchema(definition.output)), call: wrapTool(definition, this.deps) });
  }

  addResource(definition: ResourceDefinition): void {
    this.resources.push(definition);
  }

  addPrompt(definition: PromptDefinition): void {
    this.prompts.push(definition);
  }

  toolNames(): string[] {
    return this.tools.map((t) => t.definition.name);
  }

  /** The scope each registered tool needs, by tool name. */
  toolScopes(): Map<string, string> {
    return new Map(this.tools.map((t) => [t.definition.name, t.definition.scope]));
  }

  /** Every scope this service knows: the read scope first, then the tools' scopes. */
  scopes(readScope: string): string[] {
    return [...new Set([readScope, ...this.tools.map((t) => t.definition.scope)])];
  }

  /** A fresh server with everything registered (one per request: McpServer is not shared). */
  createServer(): McpServer {
    // `logging` lets 2025-era clients call logging/setLevel (our logs go to stdout, not to the client).
    const server = new McpServer({ name: this.info.name, version: this.info.version }, { instructions: this.info.instructions, capabilities: { logging: {} } });
    for (const tool of this.tools) {
      const d = tool.definition;
      server.registerTool(
        d.name,
        { title: d.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { openWorldHint: false, ...d.annotations, title: d.title } },
        ((args: unknown, ctx: ServerContext) => tool.call(args, callerOf(ctx))) as never,
      );
    }
    for (const r of this.resources) this.registerResource(server, r);
    for (const p of this.prompts) {
      server.registerPrompt(p.name, { title: p.title, description: p.description, argsSchema: p.args as never }, (async (args: unknown) => {
        const messages = await p.build(p.args.parse(args ?? {}));
        return { messages: messages.map((m) => ({ role: m.role, content: { type: 'text' as const, text: m.text } })) };
      }) as never);
    }
    return server;
  }

  private registerResource(server: McpServer, r: ResourceDefinition) {
    const body = async (uri: URL, variables: Record<string, string>) => {
      if (r.variables && !r.variables.safeParse(variables).success) throw new ResourceNotFoundError(uri.href);
      const value = await r.read(uri, variables);
      if (value === undefined) throw new ResourceNotFoundError(uri.href);
      return { contents: [{ uri: uri.href, mimeType: r.mimeType, text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] };
    };
    const meta = { title: r.title, description: r.description, mimeType: r.mimeType };
    if (r.uri.includes('{')) {
      const list = r.list;
      const template = new ResourceTemplate(r.uri, {
        list: list ? async () => ({ resources: (await list()).map((x) => ({ ...x, mimeType: r.mimeType })) }) : undefined,
      });
      server.registerResource(r.name, template, meta, ((uri: URL, variables: Record<string, string | string[]>) =>
        body(uri, Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])))) as never);
    } else {
      server.registerResource(r.name, r.uri, meta, ((uri: URL) => body(uri, {})) as never);
    }
  }

  /**
   * Direct answers to modern `tools/call` requests: the same tool wrapper the
   * SDK calls, and the result enveloped as the SDK envelopes it for
   * 2026-07-28 (`resultType`, the server's identity in `_meta`). In a cached
   * read, the SDK's exchange (web Request and Response, per-request
   * transport, message schemas, teardown) was about half the CPU.
   */
  directCalls(): DirectCalls {
    const tools = new Map(this.tools.map((t) => [t.definition.name, t]));
    const serverInfo = { name: this.info.name, version: this.info.version };
    return {
      accept: (message, headers) => directToolCall(message, headers, (name) => tools.has(name)),
      answer: async (call, authInfo) => {
        const result = await tools.get(call.name)!.call(call.arguments ?? {}, { principal: principalOf(authInfo), meta: call.meta });
        return JSON.stringify({ result: { ...result, resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: serverInfo } }, jsonrpc: '2.0', id: call.id });
      },
    };
  }

  /**
   * The SDK's stateless HTTP handler: serves 2026-07-28 and the 2025-era revisions.
   * 2025-era requests get a fresh server each; 2026-07-28 requests are served by
   * servers from a {@link ServerPool} (building one was about a tenth of a cached
   * read's CPU).
   */
  createHandler(onerror: (error: Error) => void): McpHttpHandler {
    const pool = new ServerPool(() => this.createServer());
    return createMcpHandler((ctx) => (ctx.era === 'modern' ? pool.take() : this.createServer()), { legacy: 'stateless', onerror });
  }
}

/** The connection-scoped fields of the SDK's Server (2.4.x) a finished exchange may leave set. */
interface ServerConnectionState {
  transport: unknown;
  _clientCapabilities?: unknown;
  _clientVersion?: unknown;
}

/** Client identity is seeded from each request's envelope only when the envelope names it: never carry one over. */
function forgetClient(server: McpServer): void {
  const state = server.server as unknown as ServerConnectionState;
  state._clientCapabilities = undefined;
  state._clientVersion = undefined;
}

/**
 * Idle McpServer instances for 2026-07-28 exchanges, each serving one exchange
 * at a time. The SDK's handler connects the instance to a fresh per-request
 * transport, sets the era and the client identity from the request's `_meta`
 * envelope, and closes it once the answer is delivered; `onclose` then hands
 * it back here. Nothing of a request lives on the instance: authInfo, `_meta`,
 * the abort signal and the trace context travel with each request's context
 * (the SDK answers on the transport it captured when the request came in),
 * and the tool wrapper never gives handlers the SDK context, so a handler that
 * outlives its exchange (client gone, TIMEOUT) cannot notify on a later one.
 * 2025-era requests never use the pool: their negotiated version and logging
 * level are connection state of the instance.
 */
export class ServerPool {
  private readonly idle: McpServer[] = [];
  private readonly pooled = new WeakSet<McpServer>();

  constructor(
    private readonly build: () => McpServer,
    /** Idle instances kept at most (LIMITS.idleMcpServers). */
    private readonly max: number = LIMITS.idleMcpServers,
  ) {}

  /** An idle instance (its last client already forgotten on release), or a new one; it comes back by itself when its exchange closes. */
  take(): McpServer {
    const server = this.idle.pop() ?? this.fresh();
    this.pooled.delete(server);
    return server;
  }

  get size(): number {
    return this.idle.length;
  }

  private fresh(): McpServer {
    const server = this.build();
    server.server.onclose = () => this.release(server);
    return server;
  }

  private release(server: McpServer): void {
    const state = server.server as unknown as ServerConnectionState;
    // Only a closed instance, and once: two exchanges must never share one.
    if (state.transport !== undefined || this.pooled.has(server) || this.idle.length >= this.max) return;
    forgetClient(server); // an idle instance holds nothing of the request it served
    this.pooled.add(server);
    this.idle.push(server);
  }
}
