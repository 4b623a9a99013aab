import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import winston from 'winston';
import { ROOT_CONTEXT, TraceFlags, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from '../src';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, transport: new winston.transports.Stream({ stream }) };
}

beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
afterAll(() => context.disable());

describe('createLogger', () => {
  it('writes JSON lines with service, level and message, and the active trace and span ids', () => {
    const { lines, transport } = capture();
    const logger = createLogger({ service: 'customer', transports: [transport] });
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const spanId = '1234567890abcdef';
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    context.with(ctx, () => logger.info('tool call', { tool: 'get_customer', status: 'success', duration_ms: 3 }));
    logger.info('outside any span');

    expect(lines[0]).toMatchObject({ service: 'customer', level: 'info', message: 'tool call', tool: 'get_customer', trace_id: traceId, span_id: spanId });
    expect(typeof lines[0].timestamp).toBe('string');
    expect(lines[1]).toMatchObject({ service: 'customer', message: 'outside any span' });
    expect(lines[1].trace_id).toBeUndefined();
  });

  it('honours the level', () => {
    const { lines, transport } = capture();
    const logger = createLogger({ service: 'customer', level: 'warn', transports: [transport] });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => l.message)).toEqual(['kept']);
  });
});

describe('the default stdout transport (StdoutLines)', () => {
  // A child process with the built logger: stdout is a pipe, as under a container runtime.
  const LOGGER = require.resolve('../dist/logger.js');
  const run = (body: string) => spawnSync(process.execPath, ['-e', `const { createLogger } = require(${JSON.stringify(LOGGER)}); const logger = createLogger({ service: 'x' });\n${body}`], { encoding: 'utf8' });
  const messages = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { message: string }).message);

  it('writes the lines of one event-loop turn in one write, in order', () => {
    // Counts the socket's writes: one writev for the five lines of the first turn, one write for the later line.
    const child = run(`
      let writes = 0;
      for (const m of ['_write', '_writev']) { const original = process.stdout[m]; process.stdout[m] = function (...args) { writes++; return original.apply(this, args); }; }
      for (let i = 0; i < 5; i++) logger.info('turn-1-' + i);
      setTimeout(() => { logger.info('turn-2'); setImmediate(() => process.stderr.write('writes=' + writes)); }, 20);`);
    expect(child.status).toBe(0);
    expect(messages(child.stdout)).toEqual(['turn-1-0', 'turn-1-1', 'turn-1-2', 'turn-1-3', 'turn-1-4', 'turn-2']);
    expect(child.stderr).toBe('writes=2');
  });

  it('loses no line when the process exits in the same turn (process.exit, uncaught exception)', () => {
    const exited = run(`logger.info('before exit'); logger.error('last words'); process.exit(3);`);
    expect(exited.status).toBe(3);
    expect(messages(exited.stdout)).toEqual(['before exit', 'last words']);
    const crashed = run(`setTimeout(() => { logger.error('about to throw'); throw new Error('boom'); }, 5);`);
    expect(crashed.status).toBe(1);
    expect(messages(crashed.stdout)).toEqual(['about to throw']);
  });
});
