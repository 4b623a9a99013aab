import { connectClient, startProtectedInProcess, startTestIssuer, Generation, ProtectedService, TestClient, TestIssuer } from '@fedmcp/testing';
import { defineTool, z, ON_BEHALF_OF_META } from '../src';
import { toolService, ToolService } from './fixtures/tool-service';

// 2026-07-28 requests are served by pooled McpServer instances (one exchange
// at a time each): concurrent and successive requests, of every protocol
// generation, must each see only their own principal and _meta.
const createWidget = toolService('widget', [
  defineTool({
    name: 'whoami',
    scope: 'widget:read',
    title: 'Who am I',
    description: 'Echoes the caller and a tag after a short wait.',
    input: z.object({ tag: z.string(), wait_ms: z.number().int().min(0).max(100) }),
    output: z.object({ tag: z.string(), sub: z.string(), client_id: z.string(), on_behalf_of: z.string().nullable() }),
    annotations: { readOnlyHint: true },
    handler: async ({ tag, wait_ms }, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, wait_ms));
      return { tag, sub: ctx.principal.sub, client_id: ctx.principal.client_id, on_behalf_of: ctx.onBehalfOf?.sub ?? null };
    },
  }),
]);

let issuer: TestIssuer;
let svc: ProtectedService<ToolService>;
const clients: TestClient[] = [];

const clientFor = async (generation: Generation, sub: string) => {
  const client = await connectClient(svc.mcpUrl, generation, issuer.accessToken(svc.mcpUrl, ['widget:read'], { sub, client_id: `client-${sub}` }));
  clients.push(client);
  return client;
};

beforeAll(async () => {
  issuer = await startTestIssuer();
  // The SDK path for every call: plain modern tool calls would otherwise be answered directly, without a pooled server.
  svc = await startProtectedInProcess('widget', createWidget, issuer, { MCP_DIRECT_TOOL_CALLS: 'false' });
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await svc?.stop();
  await issuer?.stop();
});

describe('pooled MCP servers', () => {
  it('give concurrent callers of every generation their own principal and on_behalf_of', async () => {
    const generations: Generation[] = ['modern', 'legacy-v2', 'v1'];
    const callers = await Promise.all(Array.from({ length: 18 }, (_, i) => clientFor(generations[i % 3], `user-${i}`)));
    const rounds = await Promise.all(
      callers.flatMap((client, i) =>
        [0, 1, 2].map(async (round) => {
          const tag = `${i}-${round}`;
          const outcome = await client.call<{ tag: string; sub: string; client_id: string; on_behalf_of: string | null }>('whoami', { tag, wait_ms: (i * 7 + round * 13) % 40 }, { [ON_BEHALF_OF_META]: { sub: `obo-${tag}`, client_id: 'x' } });
          return { i, tag, outcome };
        }),
      ),
    );
    for (const { i, tag, outcome } of rounds) {
      expect(outcome.isError).toBe(false);
      expect(outcome.data).toEqual({ tag, sub: `user-${i}`, client_id: `client-user-${i}`, on_behalf_of: `obo-${tag}` });
    }
  });

  it('serve 2025-era and 2026-07-28 requests one after the other (a reused server keeps no era)', async () => {
    const order: Generation[] = ['modern', 'v1', 'modern', 'legacy-v2', 'modern', 'v1'];
    for (const [i, generation] of order.entries()) {
      const client = await clientFor(generation, `seq-${i}`);
      const outcome = await client.call<{ sub: string; on_behalf_of: string | null }>('whoami', { tag: String(i), wait_ms: 0 });
      expect(outcome.isError).toBe(false);
      expect(outcome.data).toMatchObject({ sub: `seq-${i}`, on_behalf_of: null });
      expect((await client.listTools()).map((t) => t.name)).toContain('whoami');
    }
  });
});
