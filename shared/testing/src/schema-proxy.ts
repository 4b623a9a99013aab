import * as http from 'node:http';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { connectClient } from './clients';

type Schema = Record<string, unknown>;

export interface AdvertisedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Schema;
  outputSchema?: Schema;
  annotations?: Record<string, unknown>;
}

export interface SchemaProxy {
  mcpUrl: string;
  close(): Promise<void>;
}

/** A Standard Schema that accepts anything and advertises `json` (the proxy validates nothing itself). */
const advertised = (json: Schema) =>
  ({ '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }), jsonSchema: { input: () => json, output: () => json } } }) as never;

/**
 * An MCP server standing in for another build of a real one: it advertises
 * the real server's tools as `rewrite` changes them (an older or newer
 * schema) and forwards every tools/call to the real server unchanged. For
 * version-skew tests between independently deployed services.
 */
export async function startSchemaProxy(targetMcpUrl: string, rewrite: (tools: AdvertisedTool[]) => AdvertisedTool[]): Promise<SchemaProxy> {
  const target = await connectClient(targetMcpUrl);
  const tools = rewrite((await target.listTools()) as AdvertisedTool[]);
  const factory = () => {
    const server = new McpServer({ name: 'schema-proxy', version: '0.0.0' });
    for (const t of tools) {
      const config = { title: t.title, description: t.description, inputSchema: advertised(t.inputSchema), outputSchema: t.outputSchema ? advertised(t.outputSchema) : undefined, annotations: t.annotations };
      server.registerTool(t.name, config as never, (async (args: Record<string, unknown>) => target.raw.callTool({ name: t.name, arguments: args })) as never);
    }
    return server;
  };
  const handler = createMcpHandler(factory, { legacy: 'stateless' });
  const server = http.createServer(async (req, res) => {
    if (req.url === '/ready' || req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(key, value);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const response = await handler.fetch(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: body ? new Uint8Array(body) : undefined }));
    response.headers.forEach((value, key) => res.setHeader(key, value));
    res.writeHead(response.status);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    mcpUrl: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await target.close();
    },
  };
}
