import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { anonymousPrincipal, authInfoFor } from './principal';

/** A request refused before the SDK sees it: HTTP status, WWW-Authenticate challenge, JSON-RPC error. */
export interface Refusal {
  status: 401 | 403 | 503;
  /** WWW-Authenticate value (401/403). */
  challenge?: string;
  /** JSON-RPC error code of the body. */
  code: number;
  /** Names the problem, never the token. */
  message: string;
}

/** Who is calling, or why they may not call at all. */
export type Authentication = { authInfo: AuthInfo } | { refusal: Refusal };

/**
 * Decides, per /mcp request, who is calling (from the headers alone, before
 * the body is read: an unauthenticated caller costs no body parsing) and then
 * whether they may make this request.
 */
export interface AccessGate {
  /** The caller, from the request's headers; a refusal is 401 (or 503 when the issuer's keys cannot be fetched). */
  authenticate(req: IncomingMessage): Authentication | Promise<Authentication>;
  /** Whether that caller may make this request: `parsed` is the JSON-RPC body (a message or a batch) or undefined for GET/DELETE; a refusal is 403. */
  authorize(authInfo: AuthInfo, parsed: unknown): Refusal | undefined;
}

/**
 * Open mode (no AUTH_ISSUER, loopback bind): everyone is admitted as the
 * anonymous principal with every scope of the service, identified by address.
 */
export function openGate(scopes: string[]): AccessGate {
  const granted = Object.freeze([...scopes]) as string[];
  return {
    authenticate: (req) => ({ authInfo: authInfoFor(anonymousPrincipal(req.socket.remoteAddress, granted)) }),
    authorize: () => undefined,
  };
}
