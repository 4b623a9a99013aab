import { z } from 'zod';
import { McpServer, ResourceTemplate, ResourceNotFoundError, createMcpHandler, McpHttpHandler } from '@modelcontextprotocol/server';
import type { Logger } from '@fedmcp/instrumentation';
import { PromptDefinition, ResourceDefinition, ToolDefinition } from './tools';
import { WrapperDeps, wrapTool } from './tool-wrapper';

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
  input: never;
  output: never;
  call: (args: unknown) => Promise<Record<string, unknown>>;
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
    // Schemas converted and wrapped once, not per request.
    this.tools.push({ definition, input: advertise(z.toJSONSchema(definition.input, { io: 'input' }) as Record<string, unknown>), output: advertise(outputJsonSchema(definition.output)), call: wrapTool(definition, this.deps) });
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

  /** A fresh server with everything registered (one per request: McpServer is not shared). */
  createServer(): McpServer {
    // `logging` lets 2025-era clients call logging/setLevel (our logs go to stdout, not to the client).
    const server = new McpServer({ name: this.info.name, version: this.info.version }, { instructions: this.info.instructions, capabilities: { logging: {} } });
    for (const tool of this.tools) {
      const d = tool.definition;
      server.registerTool(
        d.name,
        { title: d.title, description: d.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { openWorldHint: false, ...d.annotations, title: d.title } },
        ((args: unknown) => tool.call(args)) as never,
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

  /** The SDK's stateless HTTP handler: serves 2026-07-28 and the 2025-era revisions. */
  createHandler(onerror: (error: Error) => void): McpHttpHandler {
    return createMcpHandler(() => this.createServer(), { legacy: 'stateless', onerror });
  }
}
