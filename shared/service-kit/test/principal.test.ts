import * as path from 'node:path';
import { connectClient, TestClient } from '@fedmcp/testing';
import { createService, defineTool, z, RunningService, ON_BEHALF_OF_META } from '../src';

// Open mode (no AUTH_ISSUER, loopback): every caller is the anonymous
// principal named by its address; _meta on_behalf_of reaches the handler.
describe('principal plumbing (open mode)', () => {
  let running: RunningService;
  let client: TestClient;

  beforeAll(async () => {
    const service = await createService({
      name: 'widget',
      version: '0.0.1',
      defaultPort: 0,
      schema: {},
      migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'),
      env: { DATA_DIR: 'memory://', PORT: '0', LOG_LEVEL: 'error' },
    });
    service.tool(
      defineTool({
        name: 'whoami',
        scope: 'widget:write',
        title: 'Who am I',
        description: 'Echoes the caller as the kit sees it.',
        input: z.object({}),
        output: z.object({ principal: z.object({ sub: z.string(), client_id: z.string(), scopes: z.array(z.string()) }), on_behalf_of: z.object({ sub: z.string(), client_id: z.string() }).nullable() }),
        annotations: { readOnlyHint: true },
        handler: async (_input, ctx) => ({ principal: ctx.principal, on_behalf_of: ctx.onBehalfOf }),
      }),
    );
    running = await service.start();
    client = await connectClient(running.mcpUrl);
  }, 180_000); // an in-memory PGlite takes long to start on a busy machine

  afterAll(async () => {
    await client?.close();
    await running?.stop();
  });

  it('lists each tool with the scope it needs in its description', async () => {
    const tool = (await client.listTools()).find((t) => t.name === 'whoami')!;
    expect(tool.description).toContain('Echoes the caller');
    expect(tool.description).toContain('"widget:write"');
  });

  it('gives handlers the anonymous principal with the client address and every scope of the service (the audit tool\'s included)', async () => {
    const { principal, on_behalf_of } = await client.ok<{ principal: { sub: string; client_id: string; scopes: string[] }; on_behalf_of: unknown }>('whoami');
    expect(principal.sub).toBe('anonymous');
    expect(principal.client_id).toMatch(/127\.0\.0\.1/);
    expect(principal.scopes.sort()).toEqual(['audit:read', 'widget:read', 'widget:write']);
    expect(on_behalf_of).toBeNull();
  });

  it('passes a valid on_behalf_of from _meta and refuses a malformed one with VALIDATION_ERROR', async () => {
    const good = await client.call<{ on_behalf_of: unknown }>('whoami', {}, { [ON_BEHALF_OF_META]: { sub: 'alice', client_id: 'claude' } });
    expect(good.data.on_behalf_of).toEqual({ sub: 'alice', client_id: 'claude' });
    for (const bad of [{ sub: 'alice' }, 'alice', { sub: '', client_id: 'x' }, { sub: 'a'.repeat(300), client_id: 'x' }]) {
      const refused = await client.call('whoami', {}, { [ON_BEHALF_OF_META]: bad });
      expect(refused.isError).toBe(true);
      expect(refused.error?.code).toBe('VALIDATION_ERROR');
      expect(refused.error?.message).toContain(ON_BEHALF_OF_META);
    }
  });
});
