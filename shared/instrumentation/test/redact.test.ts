import { Writable } from 'node:stream';
import winston from 'winston';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger, describeError, maskEmail, redactText, redactValue, RedactingSpanProcessor, statementShape } from '../src';

const JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImF1ZCI6Imh0dHA6Ly9sb2NhbGhvc3QifQ.c2lnbmF0dXJlLWJ5dGVz';
const SECRET = 'order-client-secret-5f2a9c';
const EMAIL = 'ada.lovelace@example.com';
const PHONE = '+1 415 555 0100';

function capture() {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      text.push(chunk.toString());
      done();
    },
  });
  return { text, logger: createLogger({ service: 'test', transports: [new winston.transports.Stream({ stream })] }) };
}

/** A driver error as postgres.js raises it, wrapped by drizzle as drizzle does. */
function drizzleError() {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "customers_email_unique"'), {
    name: 'PostgresError',
    severity: 'ERROR',
    code: '23505',
    detail: `Key (lower(email))=(${EMAIL}) already exists.`,
    query: 'insert into "customers" ("id", "name", "email", "phone") values ($1, $2, $3, $4)',
    parameters: ['cus_1', 'Ada Lovelace', EMAIL, PHONE],
  });
  return Object.assign(new Error(`Failed query: ${cause.query}\nparams: cus_1,Ada Lovelace,${EMAIL},${PHONE}`, { cause }), {
    query: cause.query,
    params: cause.parameters,
  });
}

describe('redactText', () => {
  it('removes tokens, secrets, bound values and phone numbers, and masks e-mail addresses', () => {
    expect(redactText(`Authorization: Bearer ${JWT}`)).toBe('Authorization: Bearer [REDACTED]');
    expect(redactText(`token ${JWT} seen`)).toBe('token [REDACTED] seen');
    expect(redactText(`grant_type=client_credentials&client_secret=${SECRET}&scope=x`)).toBe('grant_type=client_credentials&client_secret=[REDACTED]&scope=x');
    expect(redactText(`{"password":"hunter22"}`)).toBe('{"password":"[REDACTED]"}');
    expect(redactText(`write to ${EMAIL} now`)).toBe('write to a***@example.com now');
    expect(redactText(`call ${PHONE} or (415) 555-0100`)).toBe('call [REDACTED] or [REDACTED]');
    expect(redactText(`Failed query: select 1\nparams: ${EMAIL},x`)).toBe('Failed query: select 1\nparams: [REDACTED]');
  });

  it('leaves ordinary text, ids, timestamps and durations alone', () => {
    for (const text of ['tool call', 'cus_01kbz3q9z8f5w2v7n0m4x6r2tt', '2026-12-02T02:17:13.730Z', 'took 1234 ms', 'trace 4bf92f3577b34da6a3ce929d0e0e4736']) {
      expect(redactText(text)).toBe(text);
    }
    expect(maskEmail(EMAIL)).toBe('a***@example.com');
  });
});

describe('redactValue', () => {
  it('redacts secret-named keys whatever their value, phones by key, and nested values', () => {
    const value = { headers: { authorization: 'opaque-token', 'x-api-key': 'k1' }, client_secret: SECRET, customer: { phone: '555 0100', email: EMAIL }, list: [EMAIL] };
    expect(redactValue('meta', value)).toEqual({
      headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' },
      client_secret: '[REDACTED]',
      customer: { phone: '[REDACTED]', email: 'a***@example.com' },
      list: ['a***@example.com'],
    });
  });

  it('returns the very same object when nothing needs redacting (no copy on the hot path)', () => {
    const value = { tool: 'get_customer', status: 'success', nested: { n: 1, ok: true } };
    expect(redactValue('meta', value)).toBe(value);
  });

  it('does not mutate the caller\'s objects', () => {
    const value = { email: EMAIL };
    redactValue('meta', value);
    expect(value.email).toBe(EMAIL);
  });
});

describe('describeError', () => {
  it('keeps a database error\'s statement shape and driver code only', () => {
    expect(describeError(drizzleError())).toEqual({ error: 'database error', db_error_code: '23505', db_statement: 'insert into "customers" ("id", "name", "email", "phone") values ($1, $2, $3, $4)' });
    expect(statementShape("select * from t where a = 'ada@example.com' and b = $1")).toBe("select * from t where a = '?' and b = $1");
  });
});

describe('the logger', () => {
  it('never writes a token, secret, e-mail, phone or SQL parameter, however it is handed over', () => {
    const { text, logger } = capture();
    logger.info(`login by ${EMAIL} with Bearer ${JWT}`);
    logger.warn('upstream token', { token: JWT, client_secret: SECRET, headers: { authorization: `Bearer ${JWT}` } });
    logger.error('tool failed with an unexpected error', { tool: 'create_customer', error: drizzleError() });
    logger.error('tool failed', { error: drizzleError().message, stack: drizzleError().stack });
    logger.error('spread driver error', drizzleError().cause as Error);
    logger.info('customer', { customer: { name: 'Ada', email: EMAIL, phone: PHONE } });
    const out = text.join('');
    for (const secret of [JWT, SECRET, EMAIL, PHONE, 'Ada Lovelace', '415 555']) expect(out).not.toContain(secret);
    expect(out).toContain('a***@example.com');
    expect(out).toContain('"db_error_code":"23505"');
    expect(out).toContain('insert into \\"customers\\"');
  });
});

describe('RedactingSpanProcessor', () => {
  it('redacts attributes, recorded exceptions and status messages of every span before export', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] });
    const span = provider.getTracer('t').startSpan('tools/call create_customer');
    span.setAttribute('http.request.header.authorization', [`Bearer ${JWT}`]);
    span.setAttribute('url.full', `http://127.0.0.1:3005/token?client_secret=${SECRET}`);
    span.setAttribute('enduser.id', EMAIL);
    span.recordException(drizzleError());
    span.setStatus({ code: 2, message: drizzleError().message });
    span.end();
    await provider.forceFlush();
    const exported = JSON.stringify(exporter.getFinishedSpans().map((s) => ({ attributes: s.attributes, events: s.events, status: s.status })));
    for (const secret of [JWT, SECRET, EMAIL, PHONE, 'Ada Lovelace']) expect(exported).not.toContain(secret);
    expect(exported).toContain('a***@example.com');
    await provider.shutdown();
  });
});
