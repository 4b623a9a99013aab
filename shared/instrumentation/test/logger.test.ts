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
