import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectClient, freePort, rawRpc } from '@fedmcp/testing';
import { AUTH_SERVER, FLEET, repoRoot } from '../src/services';

jest.setTimeout(120_000);

describe('npm start (shared/fleet start command)', () => {
  it('runs the authorization server and all four services on embedded databases, prints their MCP URLs, a Claude configuration and how to get a token, and stops them on Ctrl+C', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-start-'));
    const ports = Object.fromEntries(await Promise.all([...FLEET, AUTH_SERVER].map(async (svc) => [svc.name, await freePort()] as const)));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const svc of [...FLEET, AUTH_SERVER]) env[`${svc.name.toUpperCase()}_PORT`] = String(ports[svc.name]);
    const issuer = `http://127.0.0.1:${ports.auth}`;
    const child = spawn(process.execPath, [path.join(repoRoot(), 'shared/fleet/dist/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes('platform is up') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect(output).toContain('platform is up');
      for (const svc of FLEET) {
        const url = `http://127.0.0.1:${ports[svc.name]}`;
        expect(output).toContain(`claude mcp add --transport http ${svc.name} ${url}/mcp`);
        expect(output).toContain(`"url": "${url}/mcp"`);
        const ready = await fetch(`${url}/ready`);
        expect(ready.status).toBe(200);
      }
      // The order service was pointed at the other three: its readiness checks them.
      const order = (await (await fetch(`http://127.0.0.1:${ports.order}/ready`)).json()) as { checks: Record<string, string> };
      expect(order.checks).toMatchObject({ database: 'ok', customer: 'ok', product: 'ok', payment: 'ok' });
      // The development authorization server is up, and the banner says how to sign in and get a token.
      const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
      expect(metadata.issuer).toBe(issuer);
      expect(output).toContain(`Authorization is on`);
      // Secure by default: an /mcp request without a token gets the SPEC's 401 challenge, whose metadata names this issuer.
      for (const svc of FLEET) {
        const mcpUrl = `http://127.0.0.1:${ports[svc.name]}/mcp`;
        const prmUrl = `http://127.0.0.1:${ports[svc.name]}/.well-known/oauth-protected-resource/mcp`;
        const refused = await rawRpc(mcpUrl, 'tools/list', {});
        expect({ service: svc.name, status: refused.status, challenge: refused.headers.get('www-authenticate') }).toEqual({
          service: svc.name,
          status: 401,
          challenge: `Bearer resource_metadata="${prmUrl}", scope="${svc.name}:read"`,
        });
        expect(refused.body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number), message: expect.any(String) } });
        const prm = (await (await fetch(prmUrl)).json()) as { resource: string; authorization_servers: string[] };
        expect(prm).toMatchObject({ resource: mcpUrl, authorization_servers: [issuer] });
      }
      expect(output).toContain('npm run token -- payment payment:read');
      // `npm run token` prints only a token, which the payment server accepts.
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot(), 'shared/fleet/dist/token.js'), 'payment', 'payment:read'], { env });
      const token = stdout.trim();
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: issuer, aud: `http://127.0.0.1:${ports.payment}/mcp`, scope: 'payment:read' });
      const client = await connectClient(`http://127.0.0.1:${ports.payment}/mcp`, 'modern', token);
      try {
        expect((await client.ok<{ items: unknown[] }>('list_payments', {})).items).toBeDefined();
      } finally {
        await client.close();
      }
      // `npm run status` signs in like `npm run reconcile` and sees every server up (not 401 = down).
      const urls = FLEET.flatMap((svc) => ['--url', `${svc.name}=http://127.0.0.1:${ports[svc.name]}`]);
      const status = await promisify(execFile)(process.execPath, [path.join(repoRoot(), 'shared/fleet/dist/status.js'), ...urls], { env });
      expect(status.stdout).toContain('4 up, 0 degraded, 0 down');
      // The order service's secret was made for this run and reached no log line.
      expect(output).not.toMatch(/ORDER_CLIENT_SECRET|client_secret/);
      // Demo data went into the embedded databases.
      for (const name of ['customer', 'product']) expect(fs.existsSync(path.join(dataDir, name))).toBe(true);
    } finally {
      if (!output.includes('platform is up')) console.log(output.slice(-3000));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const svc of [...FLEET, AUTH_SERVER]) await expect(fetch(`http://127.0.0.1:${ports[svc.name]}/health`)).rejects.toThrow();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
