import type { AuthInfo } from '@modelcontextprotocol/server';
import { ToolError } from './errors';
import { ON_BEHALF_OF_META, PartyRef, Principal } from './tools';

/** Longest `sub` / `client_id` accepted in `_meta` (OAuth identifiers are short). */
const MAX_PARTY_FIELD = 256;

/**
 * The AuthInfo handed to the SDK (`handler.fetch(request, { authInfo })`):
 * the principal travels in `extra` so tool calls read it without rebuilding
 * it. `token` stays empty: nothing past the HTTP layer needs the token.
 */
export function authInfoFor(principal: Principal, expiresAt?: number, resource?: URL): AuthInfo {
  return { token: '', clientId: principal.client_id, scopes: principal.scopes, expiresAt, resource, extra: { principal } };
}

/** The open-mode caller: anonymous, identified by its address. */
export function anonymousPrincipal(address: string | undefined, scopes: string[]): Principal {
  return { sub: 'anonymous', client_id: address ?? 'unknown', scopes };
}

const UNKNOWN: Principal = Object.freeze({ sub: 'anonymous', client_id: 'unknown', scopes: [] as string[] });

/** The principal the HTTP layer attached to a request (anonymous/unknown when none). */
export function principalOf(authInfo: AuthInfo | undefined): Principal {
  const principal = authInfo?.extra?.principal as Principal | undefined;
  return principal ?? UNKNOWN;
}

function validField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PARTY_FIELD;
}

/**
 * Reads `params._meta["io.fedmcp/on_behalf_of"]`: absent → null; present but
 * not `{sub, client_id}` with non-empty strings → VALIDATION_ERROR (the call
 * changes nothing).
 */
export function onBehalfOfFrom(meta: Record<string, unknown> | undefined): PartyRef | null {
  const value = meta?.[ON_BEHALF_OF_META];
  if (value === undefined || value === null) return null;
  const party = value as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value) || !validField(party.sub) || !validField(party.client_id)) {
    throw new ToolError('VALIDATION_ERROR', `Invalid _meta["${ON_BEHALF_OF_META}"]: expected {sub, client_id} with non-empty strings of at most ${MAX_PARTY_FIELD} characters.`, {
      path: `_meta.${ON_BEHALF_OF_META}`,
    });
  }
  return { sub: party.sub, client_id: party.client_id };
}
