import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '@fedmcp/instrumentation';
import { isLostConnection, onUnhandledRejection } from '../src/unhandled';

const lost = (code: string, syscall = 'read') => Object.assign(new Error(`${syscall} ${code}`), { code, errno: -104, syscall });

describe('a rejection nobody handled', () => {
  it('tells a lost connection (socket and postgres.js codes) from anything else', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED']) expect(isLostConnection(lost(code))).toBe(true);
    expect(isLostConnection(new TypeError('x is not a function'))).toBe(false);
    expect(isLostConnection(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isLostConnection('ECONNRESET')).toBe(false);
    expect(isLostConnection(undefined)).toBe(false);
  });

  it('logs a lost connection with what the promise was (a statement: operation and table, never its text) and returns', () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = createLogger({ service: 'kit', level: 'info', transports: [new winston.transports.Stream({ stream })] });
    const query = Object.assign(Promise.resolve(), { string: "insert into orders (id, email) values ($1, 'secret@example.com')" });
    expect(() => onUnhandledRejection(logger)(lost('ECONNRESET'), query)).not.toThrow();
    expect(lines).toEqual([expect.objectContaining({ level: 'error', code: 'ECONNRESET', syscall: 'read', promise: 'database statement INSERT orders' })]);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('throws anything else back, so the process ends as node would end it', () => {
    const logger = createLogger({ service: 'kit', level: 'info' });
    const bug = new TypeError('x is not a function');
    expect(() => onUnhandledRejection(logger)(bug, Promise.resolve())).toThrow(bug);
  });

  // The handler installed in a real process: it survives a lost connection and dies of a bug.
  const script = (reason: string) => `
    const { onUnhandledRejection } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'unhandled.js'))});
    const { createLogger } = require('@fedmcp/instrumentation');
    process.on('unhandledRejection', onUnhandledRejection(createLogger({ service: 'kit', level: 'info' })));
    Promise.reject(${reason});
    setTimeout(() => console.log('still running'), 100);
  `;
  it.each([
    ['a lost connection: logged, the process goes on', "Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' })", 0, true],
    ['any other reason: the process ends with it', "new TypeError('x is not a function')", 1, false],
  ])('%s', (_, reason, status, runs) => {
    const child = spawnSync(process.execPath, ['-e', script(reason)], { cwd: path.join(__dirname, '..'), encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } });
    expect(child.status).toBe(status);
    expect(child.stdout.includes('still running')).toBe(runs);
    if (!runs) expect(child.stderr).toContain('TypeError: x is not a function');
  });
});
