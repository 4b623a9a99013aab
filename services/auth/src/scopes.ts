/**
 * The platform's scopes (SPEC, Security) and the development login's demo
 * users. One list: the authorization server advertises exactly these.
 */

/** Every scope a platform server checks; never `offline_access`. */
export const PLATFORM_SCOPES = [
  'customer:read',
  'customer:write',
  'product:read',
  'product:write',
  'inventory:reserve',
  'payment:read',
  'payment:write',
  'payment:refund',
  'order:read',
  'order:write',
  'audit:read',
] as const;

export type PlatformScope = (typeof PLATFORM_SCOPES)[number];

const READ_SCOPES = PLATFORM_SCOPES.filter((s) => s.endsWith(':read') && s !== 'audit:read');

export type Role = 'operator' | 'support' | 'auditor';

/** What each role may be granted at the login page (SPEC, Security). */
export const ROLE_SCOPES: Readonly<Record<Role, readonly PlatformScope[]>> = Object.freeze({
  operator: [...PLATFORM_SCOPES],
  support: [...READ_SCOPES, 'order:write', 'customer:write'],
  auditor: [...READ_SCOPES, 'audit:read'],
});

export interface DemoUser {
  /** The `sub` of the tokens this user gets. */
  id: string;
  name: string;
  role: Role;
}

/** The demo users shown on the development login page (no passwords). */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  { id: 'olivia', name: 'Olivia Operator', role: 'operator' },
  { id: 'sam', name: 'Sam Support', role: 'support' },
  { id: 'audrey', name: 'Audrey Auditor', role: 'auditor' },
] satisfies DemoUser[]);

export const findDemoUser = (id: string): DemoUser | undefined => DEMO_USERS.find((u) => u.id === id);

const KNOWN = new Set<string>(PLATFORM_SCOPES);
/** Scopes in a space-separated list that the platform does not know (besides OIDC's `openid`). */
export function unknownScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s !== '' && s !== 'openid' && !KNOWN.has(s));
}
