export { startAuthServer } from './server';
export type { AuthServerOptions, RunningAuthServer } from './server';
export { PLATFORM_SCOPES, ROLE_SCOPES, DEMO_USERS } from './scopes';
export type { PlatformScope, Role, DemoUser } from './scopes';
export { authConfigSchema, loadAuthConfig } from './config';
