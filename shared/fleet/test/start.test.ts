import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@fedmcp/testing';
import { FLEET, repoRoot } from '../src/services';

jest.setTimeout(120_000);

describe('npm start (shared/fleet start command)', () => {
  it('runs all four services on embedded databases, prints their MCP URLs and a Claude configuration, and stops them on Ctrl+C', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-start-'));
    const ports = Object.fromEntries(await Promise.all(FLEET.map(async (svc) => [svc.name, await freePort()] as const)));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const svc of FLEET) env[`${svc.name.toUpperCase()}_PORT`] = String(ports[svc.name]);
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
      // Demo data went into the embedded databases.
      for (const name of ['customer', 'product']) expect(fs.existsSync(path.join(dataDir, name))).toBe(true);
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const svc of FLEET) await expect(fetch(`http://127.0.0.1:${ports[svc.name]}/health`)).rejects.toThrow();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
