import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keepAliveFetch } from '../src/http-fetch';

/** Starts `server` on a free loopback port; its base URL. */
async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function shut(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('keepAliveFetch', () => {
  let server: http.Server;
  let base: string;
  let connections = 0;
  const seen: { method?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const fetchFn = keepAliveFetch({ maxSockets: 4 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/json') return void res.writeHead(200, { 'content-type': 'application/json', 'x-answer': '42' }).end(JSON.stringify({ ok: true, echo: Buffer.concat(chunks).toString('utf8') }));
        if (req.url === '/empty') return void res.writeHead(204).end();
        if (req.url === '/redirect') return void res.writeHead(307, { location: '/json' }).end();
        if (req.url === '/slow') return; // never answers
        if (req.url === '/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: first\n\n'); // the rest never comes until the client goes
          return;
        }
        res.writeHead(404).end('no');
      });
    });
    server.on('connection', () => connections++);
    base = await listen(server);
  });

  afterAll(() => shut(server));

  it('sends method, headers and body, and answers with a real Response', async () => {
    const response = await fetchFn(`${base}/json`, { method: 'POST', headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer t' }), body: '{"a":"é"}' });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-answer')).toBe('42');
    expect(await response.json()).toEqual({ ok: true, echo: '{"a":"é"}' });
    const request = seen[seen.length - 1];
    expect(request.method).toBe('POST');
    expect(request.headers.authorization).toBe('Bearer t');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
  });

  it('reads a buffered answer once, through text(), json(), arrayBuffer() or body, as a Response does', async () => {
    const post = () => fetchFn(`${base}/json`, { method: 'POST', body: 'x' });
    const expected = { ok: true, echo: 'x' };
    const viaText = await post();
    expect(viaText.bodyUsed).toBe(false);
    expect(JSON.parse(await viaText.text())).toEqual(expected);
    expect(viaText.bodyUsed).toBe(true);
    await expect(viaText.json()).rejects.toThrow(TypeError); // a body is read once
    expect(() => viaText.clone()).toThrow(TypeError);

    const viaBuffer = await post();
    const copy = viaBuffer.clone();
    expect(JSON.parse(Buffer.from(await viaBuffer.arrayBuffer()).toString('utf8'))).toEqual(expected);
    expect(JSON.parse(await (await copy.blob()).text())).toEqual(expected); // the clone has its own body

    const viaStream = await post();
    const reader = viaStream.body!.getReader();
    expect(viaStream.bodyUsed).toBe(true); // a locked stream counts as used
    const parts: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expect(JSON.parse(Buffer.concat(parts).toString('utf8'))).toEqual(expected);
    await expect(viaStream.text()).rejects.toThrow(TypeError);

    const empty = await fetchFn(`${base}/empty`);
    expect(empty.body).toBeNull();
    expect(await empty.text()).toBe('');
  });

  it('keeps the connection alive between requests', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await fetchFn(new URL(`${base}/json`), { method: 'POST', body: String(i) })).status).toBe(200);
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  describe('idle sockets', () => {
    // Node servers close an idle keep-alive socket after keepAliveTimeout (plus a
    // second) and announce it in `Keep-Alive: timeout=N`. A request sent on a
    // socket the server is closing fails ("socket hang up"), so the client must
    // drop idle sockets first: before the hint, or after its own idle timeout.
    let idle: http.Server;
    let url: string;
    let opened = 0;
    beforeAll(async () => {
      idle = http.createServer((req, res) => {
        const delay = req.url === '/slow' ? 800 : 0;
        req.resume().on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), delay));
      });
      idle.on('connection', () => opened++);
      url = await listen(idle);
    });
    afterAll(() => shut(idle));
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const post = async (f: typeof fetch, path = '/') => expect((await f(`${url}${path}`, { method: 'POST', body: '{}' })).status).toBe(200);

    it('closes an idle socket a second before the server says it will', async () => {
      idle.keepAliveTimeout = 2000; // announced as timeout=2: the client keeps it 1 s
      const f = keepAliveFetch();
      await post(f);
      const first = opened;
      await pause(300);
      await post(f);
      expect(opened).toBe(first); // reused while well inside the hint
      await pause(1500);
      await post(f);
      expect(opened).toBe(first + 1); // dropped after 1 s idle, not reused
    });

    it('closes an idle socket after its own idle timeout when the server gives no hint', async () => {
      idle.keepAliveTimeout = 0; // no Keep-Alive hint; the server never closes
      const f = keepAliveFetch({ idleSocketTimeoutMs: 400 });
      await post(f);
      const first = opened;
      await pause(700);
      await post(f);
      expect(opened).toBe(first + 1);
    });

    it('does not time out a request in flight that takes longer than the idle timeout', async () => {
      idle.keepAliveTimeout = 0;
      await post(keepAliveFetch({ idleSocketTimeoutMs: 200 }), '/slow');
    });
  });

  it('gives a null body for 204, does not follow redirects, and passes other statuses through', async () => {
    const empty = await fetchFn(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const redirect = await fetchFn(`${base}/redirect`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/json');
    const missing = await fetchFn(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('no');
  });

  it('rejects with the abort reason when the signal fires, before or during the request', async () => {
    const already = AbortSignal.abort(new Error('gone before'));
    await expect(fetchFn(`${base}/json`, { signal: already })).rejects.toThrow('gone before');
    const controller = new AbortController();
    const pending = fetchFn(`${base}/slow`, { method: 'POST', body: 'x', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('gave up')), 50);
    await expect(pending).rejects.toThrow('gave up');
    // The pool still works after an aborted request.
    expect((await fetchFn(`${base}/json`)).status).toBe(200);
  });

  it('passes an event stream through as it comes', async () => {
    const controller = new AbortController();
    const response = await fetchFn(`${base}/stream`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(Buffer.from(value!).toString('utf8')).toBe('data: first\n\n');
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('fails like fetch when nothing listens, and refuses bodies it cannot send', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchFn(`http://127.0.0.1:${port}/`)).rejects.toThrow(TypeError);
    await expect(fetchFn(`${base}/json`, { method: 'POST', body: new URLSearchParams('a=1') })).rejects.toThrow('string or byte bodies');
    await expect(fetchFn('ftp://127.0.0.1/x')).rejects.toThrow('cannot fetch ftp:');
  });

  it('accepts a Request as input', async () => {
    const response = await fetchFn(new Request(`${base}/json`, { method: 'POST', body: 'from a Request', headers: { 'x-k': 'v' } }));
    expect(await response.json()).toEqual({ ok: true, echo: 'from a Request' });
    expect(seen[seen.length - 1].headers['x-k']).toBe('v');
  });
});
