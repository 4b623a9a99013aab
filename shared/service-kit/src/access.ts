import type { Request as ExpressRequest } from 'express';
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

export type Admission = { authInfo: AuthInfo } | { refusal: Refusal };

/**
 * Decides, per /mcp request, who is calling and whether they may make this
 * request. `parsed` is the JSON-RPC body (a message or a batch) or undefined
 * for GET/DELETE.
 */
export interface AccessGate {
  admit(req: ExpressRequest, parsed: unknown): Admission | Promise<Admission>;
}

/**
 * Open mode (no AUTH_ISSUER, loopback bind): everyone is admitted as the
 * anonymous principal with every scope of the service, identified by address.
 */
export function openGate(scopes: string[]): AccessGate {
  const granted = Object.freeze([...scopes]) as string[];
  return {
    admit: (req) => ({ authInfo: authInfoFor(anonymousPrincipal(req.socket.remoteAddress, granted)) }),
  };
}
