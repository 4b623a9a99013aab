/**
 * Tokens as a client obtains them: ask the server; on 401 follow its
 * protected-resource metadata (RFC 9728) to the authorization server
 * (RFC 8414), register a client-credentials client (RFC 7591) once per
 * issuer and scope set, and request an audience-bound token for the resource (RFC 8707)
 * with the scopes the server lists. In open mode the server answers the
 * probe and no token is used.
 */
const { toolCall } = require('./load');

const clients = new Map();

async function json(response, what) {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text().catch(() => '')}`.slice(0, 300));
  return response.json();
}

function metadataUrl(issuer) {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname;
  return [`${u.origin}/.well-known/oauth-authorization-server${path}`, `${u.origin}/.well-known/openid-configuration${path}`];
}

async function authorizationServer(issuer) {
  for (const url of metadataUrl(issuer)) {
    const response = await fetch(url);
    if (response.ok) return response.json();
  }
  throw new Error(`no authorization server metadata at ${issuer}`);
}

/** One registered client per issuer and scope set (a client may ask only for the scopes it registered). */
async function registeredClient(issuer, as, scopes) {
  const key = `${issuer} ${scopes.join(' ')}`;
  if (!clients.has(key)) {
    clients.set(
      key,
      (async () => {
        if (!as.registration_endpoint) throw new Error(`${issuer} offers no dynamic client registration; set BENCH_CLIENT_ID/BENCH_CLIENT_SECRET`);
        return json(
          await fetch(as.registration_endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client_name: 'fedmcp bench', grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_basic', scope: scopes.join(' ') }),
          }),
          'client registration',
        );
      })(),
    );
  }
  return clients.get(key);
}

/** An access token for `mcpUrl`, or undefined when the server runs in open mode. */
async function tokenFor(mcpUrl) {
  const probe = toolCall('__probe__', {});
  const answer = await fetch(mcpUrl, { method: 'POST', headers: { ...probe.headers, 'mcp-method': 'tools/list' }, body: probe.body.replace('"tools/call"', '"tools/list"') });
  await answer.arrayBuffer();
  if (answer.status !== 401) return undefined;
  const challenge = answer.headers.get('www-authenticate') ?? '';
  const prmUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] ?? new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl).href;
  const prm = await json(await fetch(prmUrl), 'protected resource metadata');
  const issuer = prm.authorization_servers?.[0];
  if (!issuer) throw new Error(`${prmUrl} names no authorization server`);
  const scopes = (prm.scopes_supported ?? []).filter((s) => s !== 'offline_access');
  const as = await authorizationServer(issuer);
  const client = await registeredClient(issuer, as, scopes);
  const form = new URLSearchParams({ grant_type: 'client_credentials', resource: prm.resource, scope: scopes.join(' ') });
  const basic = Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64');
  const token = await json(await fetch(as.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` }, body: form }), 'token request');
  return token.access_token;
}

module.exports = { tokenFor };
