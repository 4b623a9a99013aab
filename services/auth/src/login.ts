/**
 * The development login page: the demo users and what each role may do.
 * Choosing a user signs in and grants the requested scopes that the role
 * allows (requested ∩ role's scopes); consent needs no second page. Plain
 * server-rendered HTML, no scripts, no external assets.
 */
import express, { Router } from 'express';
import type { Logger } from '@fedmcp/instrumentation';
import { DEMO_USERS, DemoUser, findDemoUser, PLATFORM_SCOPES, ROLE_SCOPES } from './scopes';
import { escapeHtml, OidcProvider } from './provider';

/* eslint-disable @typescript-eslint/no-explicit-any */

const PLATFORM = new Set<string>(PLATFORM_SCOPES);

/** Requested scopes split into OIDC ones (openid, profile) and platform ones. */
function requestedScopes(params: Record<string, unknown>): { oidc: string[]; platform: string[] } {
  const all = String(params.scope ?? '').split(' ').filter(Boolean);
  return { oidc: all.filter((s) => !PLATFORM.has(s)), platform: all.filter((s) => PLATFORM.has(s)) };
}

function resourcesOf(params: Record<string, unknown>): string[] {
  const resource = params.resource;
  if (!resource) return [];
  return Array.isArray(resource) ? resource.map(String) : [String(resource)];
}

/** Saves the grant for `user`: requested platform scopes capped by the role, the rest rejected. */
async function grantFor(provider: OidcProvider, details: any, user: DemoUser): Promise<string> {
  const { params } = details;
  const grant = details.grantId ? await (provider.Grant as any).find(details.grantId) : new provider.Grant({ accountId: user.id, clientId: String(params.client_id) });
  const { oidc, platform } = requestedScopes(params);
  if (oidc.length) grant.addOIDCScope(oidc.join(' '));
  const allowed = new Set<string>(ROLE_SCOPES[user.role]);
  const granted = platform.filter((s) => allowed.has(s));
  const refused = platform.filter((s) => !allowed.has(s));
  // oidc-provider counts every configured scope as an OpenID scope too: record the decision on both sides.
  if (granted.length) grant.addOIDCScope(granted.join(' '));
  if (refused.length) grant.rejectOIDCScope(refused.join(' '));
  for (const resource of resourcesOf(params)) {
    if (granted.length) grant.addResourceScope(resource, granted.join(' '));
    if (refused.length) grant.rejectResourceScope(resource, refused.join(' '));
  }
  return grant.save();
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
.dev{background:#fff3cd;border:1px solid #e0c36c;padding:.75rem 1rem;border-radius:.4rem}
.user{border:1px solid #ccc;border-radius:.4rem;padding:.75rem 1rem;margin:.75rem 0}
button{font-size:1rem;padding:.4rem 1rem;cursor:pointer}
code{background:#f3f3f3;padding:0 .2rem}
</style></head><body>${body}</body></html>`;
}

function loginPage(uid: string, details: any, clientName: string): string {
  const { platform } = requestedScopes(details.params);
  const resources = resourcesOf(details.params);
  const users = DEMO_USERS.map((user) => {
    const allowed = new Set<string>(ROLE_SCOPES[user.role]);
    const granted = platform.filter((s) => allowed.has(s));
    const refused = platform.filter((s) => !allowed.has(s));
    return `<div class="user">
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="user" value="${escapeHtml(user.id)}">
<strong>${escapeHtml(user.name)}</strong> — role <strong>${user.role}</strong> (user id <code>${escapeHtml(user.id)}</code>)<br>
<small>may grant: ${ROLE_SCOPES[user.role].map((s) => `<code>${s}</code>`).join(' ')}</small><br>
${platform.length ? `<small>this request gets: ${granted.map((s) => `<code>${s}</code>`).join(' ') || 'none of the requested scopes'}${refused.length ? `; not: ${refused.map((s) => `<code>${s}</code>`).join(' ')}` : ''}</small><br>` : ''}
<button type="submit">Sign in as ${escapeHtml(user.name)}</button>
</form></div>`;
  }).join('\n');
  return page(
    'Sign in (development)',
    `<h1>Sign in to the commerce platform</h1>
<p class="dev"><strong>Development only.</strong> This is the platform's built-in development authorization server: there are no passwords, anyone who can open this page can sign in as any demo user. In production, point the servers at your own identity provider (<code>AUTH_ISSUER</code>).</p>
<p><strong>${escapeHtml(clientName)}</strong> asks for ${platform.length ? platform.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ') : 'no platform scopes'}${resources.length ? ` on ${resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ')}` : ''}.</p>
${users}
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

/** Routes under /interaction/:uid: the login page, the sign-in and cancel posts. */
export function interactionRouter(currentProvider: () => OidcProvider, logger: Logger): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const provider = currentProvider();
      const details = await provider.interactionDetails(req, res);
      const sessionUser = details.session?.accountId ? findDemoUser(details.session.accountId) : undefined;
      // Already signed in, only consent missing: grant what the role allows without a second page.
      if (details.prompt.name === 'consent' && sessionUser) {
        const grantId = await grantFor(provider, details, sessionUser);
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      const client = await provider.Client.find(String(details.params.client_id));
      res.set('cache-control', 'no-store').type('html').send(loginPage(String(req.params.uid), details, client?.clientName ?? String(details.params.client_id)));
    } catch (error) {
      next(error);
    }
  });

  router.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const provider = currentProvider();
      const details = await provider.interactionDetails(req, res);
      const user = findDemoUser(String(req.body?.user ?? ''));
      if (!user) {
        res.status(400).type('html').send(page('Unknown user', '<p>Unknown demo user. Go back and choose one of the listed users.</p>'));
        return;
      }
      const grantId = await grantFor(provider, details, user);
      logger.info('demo user signed in', { sub: user.id, role: user.role, client_id: details.params.client_id });
      await provider.interactionFinished(req, res, { login: { accountId: user.id }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });

  router.post('/interaction/:uid/abort', async (req, res, next) => {
    try {
      await currentProvider().interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
