/**
 * How `npm start` secures the platform: unless AUTH_ISSUER points at an
 * identity provider of your own, it runs the development authorization
 * server first and starts the four servers with AUTH_ISSUER set (secure by
 * default), the order service with its client id and a secret made for this
 * run. Also the connection help printed once everything is up.
 */
import { randomBytes } from 'node:crypto';
import { AUTH_SERVER } from './services';

export interface AuthPlan {
  /** The issuer every server trusts. */
  issuer: string;
  /** True when `npm start` runs the development authorization server itself. */
  devServer: boolean;
  /** Port of the development authorization server. */
  port: number;
  /** The order service's confidential client (unset with an external issuer and no AUTH_CLIENT_ID). */
  orderClient?: { id: string; secret: string };
}

/** Decides from the environment of `npm start`: an external issuer (AUTH_ISSUER) or the development server. */
export function planAuth(env: NodeJS.ProcessEnv): AuthPlan {
  const port = env[AUTH_SERVER.portEnv] ? Number(env[AUTH_SERVER.portEnv]) : AUTH_SERVER.port;
  if (env.AUTH_ISSUER) {
    const orderClient = env.AUTH_CLIENT_ID ? { id: env.AUTH_CLIENT_ID, secret: env.AUTH_CLIENT_SECRET ?? '' } : undefined;
    return { issuer: env.AUTH_ISSUER, devServer: false, port, orderClient };
  }
  return { issuer: `http://127.0.0.1:${port}`, devServer: true, port, orderClient: { id: 'order-service', secret: randomBytes(32).toString('base64url') } };
}

/** Environment of the development authorization server. */
export function authServerEnv(plan: AuthPlan, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, PORT: String(plan.port), AUTH_ISSUER: plan.issuer, ORDER_CLIENT_ID: plan.orderClient!.id, ORDER_CLIENT_SECRET: plan.orderClient!.secret };
}

/** What a domain server needs to be a protected resource of the plan's issuer. */
export function serviceAuthEnv(serviceName: string, plan: AuthPlan): Record<string, string> {
  const env: Record<string, string> = { AUTH_ISSUER: plan.issuer };
  if (serviceName === 'order' && plan.orderClient) Object.assign(env, { AUTH_CLIENT_ID: plan.orderClient.id, AUTH_CLIENT_SECRET: plan.orderClient.secret });
  return env;
}

/** The banner lines about signing in: the login page, the token command. */
export function authInstructions(plan: AuthPlan): string {
  if (!plan.devServer) return `Authorization: tokens from ${plan.issuer} (AUTH_ISSUER).`;
  return [
    `Authorization is on: every /mcp request needs an access token from the development authorization server`,
    `${plan.issuer} (development only: its login page offers demo users, no passwords).`,
    'Claude Code: after `claude mcp add`, run /mcp, pick a server and choose Authenticate; sign in as a demo user in the browser.',
    'Claude Desktop: mcp-remote opens the same login page on first use.',
    'Inspector / curl: a token for one server and scope set, e.g.',
    '  npm run token -- payment payment:read',
    '  curl -H "Authorization: Bearer $(npm run -s token -- payment payment:read)" …',
  ].join('\n');
}
