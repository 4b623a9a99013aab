/**
 * startAuthServer: the development authorization server on one HTTP port.
 * In-process for tests; `main.ts` runs it as the platform's port-3005 service.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger, Logger } from '@fedmcp/instrumentation';
import { AdapterStore } from './adapter';
import { cookieKeys, KeyRing, orderClientSecret } from './keys';
import { interactionRouter } from './login';
import { createProvider, loadOidcProvider, OidcModule, OidcProvider, withConsoleToLog } from './provider';
import { openStateStore } from './state';

export interface AuthServerOptions {
  /** Listen port; 0 = any free port. Default 3005. */
  port?: number;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Public issuer URL (what tokens carry in `iss`). Default `http://127.0.0.1:<port>`. */
  issuer?: string;
  /** Where keys and registered clients are kept (`<dataDir>/auth/`); undefined or `memory://` = in memory only. */
  dataDir?: string;
  /** Access-token lifetime in seconds. Default 3600. */
  accessTokenTtlSeconds?: number;
  /** The order service's confidential client. Secret default: generated at first start and kept in dataDir. */
  orderClientId?: string;
  orderClientSecret?: string;
  /** Trust X-Forwarded-* headers (behind a TLS-terminating proxy). */
  trustProxy?: boolean;
  logger?: Logger;
  logLevel?: string;
}

export interface RunningAuthServer {
  /** The issuer identifier (`iss` of every token). */
  issuer: string;
  /** Where this process listens (may differ from the issuer behind a proxy or port mapping). */
  url: string;
  jwksUrl: string;
  /** The order service's client credentials. */
  orderClient: { clientId: string; clientSecret: string };
  /** Key id of the current signing key. */
  signingKid(): string;
  /** New signing key; previous keys stay published for verification. */
  rotateKeys(): Promise<void>;
  /** Closes the listener (in-flight requests finish). */
  stop(): Promise<void>;
}

let oidcModule: Promise<OidcModule> | undefined;

export async function startAuthServer(options: AuthServerOptions = {}): Promise<RunningAuthServer> {
  const logger = options.logger ?? createLogger({ service: 'auth-server', level: options.logLevel ?? 'info' });
  oidcModule ??= loadOidcProvider(logger);
  const oidc = await oidcModule;
  const state = openStateStore(options.dataDir);
  const keys = await KeyRing.open(state);
  const store = new AdapterStore(state);
  const orderClientId = options.orderClientId ?? 'order-service';
  const orderClient = { clientId: orderClientId, clientSecret: orderClientSecret(state, orderClientId, options.orderClientSecret) };

  let provider: OidcProvider | undefined;
  let handler: ((req: unknown, res: unknown) => void) | undefined;
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', true);
  app.get(['/health', '/ready'], (_req, res) => void res.json({ status: 'ok' }));
  // RFC 8414 metadata: the same document as OIDC discovery (oidc-provider serves only the latter).
  app.get('/.well-known/oauth-authorization-server', (req, _res, next) => {
    req.url = '/.well-known/openid-configuration';
    next();
  });
  app.use(interactionRouter(() => provider!, logger));
  app.use((req, res) => handler!(req, res));
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    logger.warn('interaction failed', { error: error.message });
    res.status(400).type('html').send('<!doctype html><meta charset="utf-8"><title>Sign-in failed</title><p>This sign-in request is no longer valid (expired or already used). Start again from your client.</p>');
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3005, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1'}:${port}`;
  const issuer = (options.issuer ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');

  const build = () =>
    withConsoleToLog(logger, () =>
      createProvider(
        oidc,
        {
          issuer,
          accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
          jwks: keys.privateJwks as never,
          cookieKeys: cookieKeys(state),
          adapter: store.adapterClass(),
          orderClient,
        },
        logger,
      ),
    );
  const activate = (next: OidcProvider) => {
    next.proxy = options.trustProxy === true;
    provider = next;
    handler = next.callback();
  };
  activate(await build());
  const sweeper = setInterval(() => store.sweep(), 60_000);
  sweeper.unref();

  logger.info('authorization server listening', { issuer, url, data: state.dir ?? 'memory', signing_kid: keys.signingKid, order_client_id: orderClient.clientId });
  return {
    issuer,
    url,
    jwksUrl: `${issuer}/jwks`,
    orderClient,
    signingKid: () => keys.signingKid,
    async rotateKeys() {
      await keys.rotate();
      activate(await build());
      logger.info('signing key rotated', { signing_kid: keys.signingKid });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
