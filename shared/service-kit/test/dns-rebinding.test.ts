import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { RequestHandler } from 'express';
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/express';
import { dnsRebindingGuard } from '../src/dns-rebinding';
import { jsonRpcError } from '../src/mcp-http';

// The kit's guard, answered as the /mcp handler answers it, must answer
// exactly as the SDK's two express middlewares do, for every Host and Origin, also the second time it sees a value (its
// verdicts are remembered).
const ALLOWED = ['localhost', '127.0.0.1', '[::1]'];

async function serve(guards: RequestHandler[]): Promise<{ port: number; server: http.Server }> {
  const app = express();
  app.post('/mcp', ...guards, (_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** node:http sends the Host header as given (fetch would replace it). */
function post(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

const CASES: Record<string, string>[] = [
  { host: 'localhost' },
  { host: 'localhost:3001' },
  { host: '127.0.0.1:3001' },
  { host: '[::1]:3001' },
  { host: 'evil.example' },
  { host: 'evil.example:3001' },
  { host: 'localhost.evil.example' },
  { host: 'local host' },
  { host: '' },
  { host: 'localhost', origin: 'http://localhost:3000' },
  { host: 'localhost', origin: 'https://127.0.0.1' },
  { host: 'localhost', origin: 'http://evil.example' },
  { host: 'localhost', origin: 'null' },
  { host: 'localhost', origin: 'not a url' },
  { host: 'evil.example', origin: 'http://localhost' },
];

describe('dnsRebindingGuard', () => {
  let kit: { port: number; server: http.Server };
  let sdk: { port: number; server: http.Server };

  beforeAll(async () => {
    const guard = dnsRebindingGuard(ALLOWED);
    kit = await serve([
      (req, res, next) => {
        const refusal = guard(req);
        if (refusal) jsonRpcError(res, 403, -32000, refusal);
        else next();
      },
    ]);
    sdk = await serve([hostHeaderValidation(ALLOWED), originValidation(ALLOWED)]);
  });
  afterAll(() => {
    kit.server.close();
    sdk.server.close();
  });

  it('answers every Host and Origin as the SDK middlewares do, the first time and when remembered', async () => {
    let refused = 0;
    for (const round of [1, 2]) {
      for (const headers of CASES) {
        const expected = await post(sdk.port, headers);
        const actual = await post(kit.port, headers);
        expect({ round, headers, ...actual }).toEqual({ round, headers, ...expected });
        if (expected.status === 403) refused++;
      }
    }
    // The cases do cover both verdicts.
    expect(refused).toBeGreaterThanOrEqual(2 * 7);
    expect(refused).toBeLessThan(2 * CASES.length);
  });

  it('keeps answering correctly after more distinct values than it remembers', async () => {
    for (let i = 0; i < 300; i++) expect((await post(kit.port, { host: `h${i}.evil.example` })).status).toBe(403);
    expect((await post(kit.port, { host: 'localhost:1' })).status).toBe(200);
    expect((await post(kit.port, { host: 'h1.evil.example' })).status).toBe(403);
  });
});
