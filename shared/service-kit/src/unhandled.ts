import { describeQuery, Logger } from '@fedmcp/instrumentation';
import { LOST_CONNECTION_CODES } from './tool-wrapper';

/** Socket errors of a connection that went away besides those the tool wrapper knows (a write to it, a peer that never answered). */
const SOCKET_LOST_CODES = new Set(['EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** Whether `reason` is the error of a connection that went away (the peer reset or closed it, or never answered). */
export function isLostConnection(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  const code = String((reason as { code?: unknown }).code);
  return LOST_CONNECTION_CODES.has(code) || SOCKET_LOST_CODES.has(code);
}

/** What a rejected promise was, for the log line: a database statement's operation and table, or its class. */
function whatOf(promise: unknown): string {
  const text = (promise as { string?: unknown } | undefined)?.string;
  if (typeof text === 'string') {
    const { operation, collection } = describeQuery(text);
    return `database statement ${operation}${collection ? ` ${collection}` : ''}`;
  }
  return (promise as object | undefined)?.constructor?.name ?? 'unknown';
}

/**
 * The process's answer to a promise rejected with nobody to handle it
 * (`process.on('unhandledRejection', …)`). By default node ends the process.
 * That stays so for every reason but one: a lost connection. postgres.js
 * 3.4.9 can reject a promise nobody holds with the raw socket error when its
 * server's connections are reset under load (porsager/postgres#600, open
 * upstream, no reproduction; CI's database-loss run saw the order service
 * die of `read ECONNRESET` once, and ten runs here did not repeat it). The work that promise
 * stood for has failed already and its caller was answered; ending the
 * process for it would turn a database blip into an outage. It is logged
 * (code, syscall, and what the promise was: a statement's operation and
 * table, never its text or parameters) and the service carries on. Any
 * other reason is thrown from the handler: an uncaught exception, the
 * process ends as before.
 */
export function onUnhandledRejection(logger: Logger): (reason: unknown, promise: Promise<unknown>) => void {
  return (reason, promise) => {
    if (!isLostConnection(reason)) throw reason;
    const { code, syscall } = reason as { code?: string; syscall?: string };
    logger.error('a lost connection failed work nobody was waiting for; the service carries on', { code, syscall, promise: whatOf(promise) });
  };
}
