/**
 * The one redaction layer: every log line (the logger's format) and every
 * span (the redacting span processor) passes through it, so tokens, secrets,
 * e-mail addresses, phone numbers and SQL parameters never reach a log or a
 * trace backend, whoever wrote the line or set the attribute.
 *
 * It is on the hot path: values are only copied when something in them
 * changes, and each pattern runs only when a cheap test says it might match.
 */

export const REDACTED = '[REDACTED]';

/** Keys whose value is a secret whatever it looks like. */
const SECRET_KEY = /(?:^|[._-])(?:authorization|proxy-authorization|password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|api_?key|x-api-key|cookie|set-cookie|credentials?|private_key|parameters|params)$/i;
const PHONE_KEY = /(?:^|[._-])phone(?:_number)?$/i;

const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
/** drizzle's "Failed query: …\nparams: a,b" and similar dumps of bound values. */
const PARAMS_DUMP = /\b(params|parameters|bind values?):\s*[^\n]*/gi;
/** `client_secret=…` in URLs/forms and `"password":"…"` in JSON text. */
const SECRET_PAIR = /((?:client_secret|password|passwd|secret|api_?key|access_token|refresh_token|id_token|token)"?\s*[=:]\s*"?)[^"&\s,}]+/gi;
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;
const PHONE = /\+\d[\d ().-]{6,}\d|\(\d{3}\)\s?\d{3}[-.\s]\d{4}|\b\d{3}[-.\s]\d{3}[-.\s]\d{4}\b/g;

/** Masks an e-mail address as `a***@example.com`. */
export function maskEmail(email: string): string {
  return email.replace(EMAIL, '$1***@$2');
}

/** Redacts tokens, secrets, e-mail addresses, phone numbers and bound SQL values inside free text. */
export function redactText(text: string): string {
  if (text.length < 6) return text;
  let out = text;
  if (/bearer|basic/i.test(out)) out = out.replace(BEARER, `$1 ${REDACTED}`);
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  if (/param|bind/i.test(out)) out = out.replace(PARAMS_DUMP, `$1: ${REDACTED}`);
  if (/secret|passw|key|token/i.test(out)) out = out.replace(SECRET_PAIR, `$1${REDACTED}`);
  if (out.includes('@')) out = out.replace(EMAIL, '$1***@$2');
  if (/\d{3}/.test(out)) out = out.replace(PHONE, REDACTED);
  return out;
}

/** The SQLSTATE-coded driver error inside an error (postgres.js, PGlite, drizzle's wrapper), if any. */
function databaseError(error: unknown): { code?: string; query?: string } | undefined {
  let code: string | undefined;
  let query: string | undefined;
  let found = false;
  for (let e = error as Record<string, unknown> | undefined, i = 0; e && typeof e === 'object' && i < 5; e = e.cause as Record<string, unknown> | undefined, i++) {
    if (typeof e.query === 'string') {
      query ??= e.query;
      found = true;
    }
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && 'severity' in e) {
      code ??= e.code;
      found = true;
    }
  }
  return found ? { code, query } : undefined;
}

/** A statement's shape: string literals and surplus whitespace gone, bounded length. Bound values are never part of it. */
export function statementShape(query: string): string {
  const shape = query.replace(/'(?:[^']|'')*'/g, "'?'").replace(/\s+/g, ' ').trim();
  return shape.length > 500 ? `${shape.slice(0, 500)}…` : shape;
}

/**
 * What may be logged about an error: a database error is its statement shape
 * and the driver's code only (its message can quote values); anything else
 * its redacted message and name. Never the stack of a database error.
 */
export function describeError(error: unknown): Record<string, unknown> {
  const db = databaseError(error);
  if (db) return { error: 'database error', db_error_code: db.code ?? 'unknown', ...(db.query ? { db_statement: statementShape(db.query) } : {}) };
  if (error instanceof Error) return { error: redactText(error.message), error_name: error.name };
  return { error: redactText(String(error)) };
}

/** Redacts one value under `key`; returns the same reference when nothing needed redacting. */
export function redactValue(key: string, value: unknown, depth = 0): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  if (SECRET_KEY.test(key)) return REDACTED;
  if (typeof value === 'string') return PHONE_KEY.test(key) ? REDACTED : redactText(value);
  if (typeof value !== 'object') return value;
  if (value instanceof Error) return describeError(value);
  if (depth > 6) return '[too deep]';
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const redacted = redactValue(key, item, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const redacted = redactValue(k, v, depth + 1);
    if (redacted !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = redacted;
  }
  return copy ?? value;
}

/** Redacts every field of a flat record in place (a log line, a span's attributes), except `skip`. */
export function redactFields(fields: Record<string, unknown>, skip?: ReadonlySet<string>): void {
  for (const key of Object.keys(fields)) {
    if (skip?.has(key)) continue;
    const value = fields[key];
    const redacted = redactValue(key, value);
    if (redacted !== value) fields[key] = redacted;
  }
}
