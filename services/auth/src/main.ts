/**
 * The development authorization server as a process: config, start, and
 * signals (SIGTERM/SIGINT stop it; SIGHUP rotates the signing key).
 */
import { ConfigError } from '@fedmcp/service-kit';
import { createLogger } from '@fedmcp/instrumentation';
import { loadAuthConfig } from './config';
import { startAuthServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAuthConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ service: 'auth-server', level: config.LOG_LEVEL });
  const server = await startAuthServer({
    port: config.PORT,
    host: config.HOST,
    issuer: config.AUTH_ISSUER,
    dataDir: config.DATA_DIR,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    orderClientId: config.ORDER_CLIENT_ID,
    orderClientSecret: config.ORDER_CLIENT_SECRET,
    trustProxy: config.TRUST_PROXY === 'true',
    logger,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void server.rotateKeys().catch((error: Error) => logger.error('key rotation failed', { error: error.message })));
}

main().catch((error: Error) => {
  process.stderr.write(`auth server failed to start: ${error.message}\n`);
  process.exit(1);
});
