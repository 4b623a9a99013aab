import { SpanKind, SpanStatusCode, context } from '@opentelemetry/api';
import { ATTR, DB_SYSTEM_POSTGRESQL } from './semconv';
import { tracer } from './mcp-spans';

export interface DbQueryInfo {
  operation: string;
  collection?: string;
  namespace?: string;
  text?: string;
}

const COLLECTION_RE = /\b(?:from|into|update|join|table)\s+"?([a-zA-Z_][\w]*)"?/i;

/** `SELECT`, `INSERT`, … and the first table a statement names (semconv DB attributes). */
export function describeQuery(sql: string): DbQueryInfo {
  const trimmed = sql.trimStart();
  const operation = (/^[a-zA-Z]+/.exec(trimmed)?.[0] ?? 'QUERY').toUpperCase();
  const collection = COLLECTION_RE.exec(trimmed)?.[1];
  return { operation, collection };
}

/**
 * Wraps one database round trip in a CLIENT span named `{operation} {collection}`
 * with the semconv DB attributes, and reports its duration.
 */
export async function withDbSpan<T>(info: DbQueryInfo, run: () => Promise<T>, observe?: (seconds: number, failed: boolean) => void): Promise<T> {
  const name = info.collection ? `${info.operation} ${info.collection}` : info.operation;
  const attributes: Record<string, string> = {
    [ATTR.DB_SYSTEM_NAME]: DB_SYSTEM_POSTGRESQL,
    [ATTR.DB_OPERATION_NAME]: info.operation,
  };
  if (info.collection) attributes[ATTR.DB_COLLECTION_NAME] = info.collection;
  if (info.namespace) attributes[ATTR.DB_NAMESPACE] = info.namespace;
  if (info.text) attributes[ATTR.DB_QUERY_TEXT] = info.text;
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
  const started = process.hrtime.bigint();
  let failed = false;
  try {
    return await run();
  } catch (error) {
    failed = true;
    span.setAttribute(ATTR.ERROR_TYPE, (error as { code?: string }).code ?? 'db_error');
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
    observe?.(Number(process.hrtime.bigint() - started) / 1e9, failed);
  }
}
