import { dropTestDatabases, freePort, runServiceToExit, serviceTestEnv, spawnService } from '@fedmcp/testing';

// SPEC, Security → Open mode: without AUTH_ISSUER a loopback server serves
// without authorization and says so once; any other bind refuses to start.
describe('authorization modes at start', () => {
  it('refuses to start on a non-loopback bind without AUTH_ISSUER, with one clear line', async () => {
    const exited = await runServiceToExit('customer', { HOST: '0.0.0.0', PORT: String(await freePort()), DATA_DIR: 'memory://', LOG_LEVEL: 'info' }, 60_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toHaveLength(1);
    expect(exited.stderr[0]).toMatch(/Refusing to start: HOST=0\.0\.0\.0 .*AUTH_ISSUER is unset.*AUTH_DISABLED=true/);
    expect(exited.stdout.join('\n')).not.toContain('service started');
  }, 90_000);

  it('serves without a token on loopback when AUTH_ISSUER is unset, logging one warning line', async () => {
    const service = await spawnService('customer', await serviceTestEnv('customer', { LOG_LEVEL: 'info' }), { readyTimeoutMs: 60_000 });
    try {
      const warnings = service.lines.filter((line) => line.includes('authorization is OFF'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({ level: 'warn', service: 'customer' });
      const prm = await fetch(`${service.url}/.well-known/oauth-protected-resource/mcp`);
      expect(prm.status).toBe(404); // no authorization server to advertise
      const listed = await fetch(service.mcpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(listed.status).toBe(200);
    } finally {
      await service.stop();
      await dropTestDatabases();
    }
  }, 90_000);
});
