import type { Sql } from 'postgres';
import type { PGlite } from '@electric-sql/pglite';
import { describeQuery, withDbSpan } from '@fedmcp/instrumentation';

/** Called after each query with its operation and duration. */
export interface DbObserver {
  query(operation: string, seconds: number): void;
  /** +1 when a connection is taken for a query or transaction, -1 when given back. */
  connections(delta: number): void;
  namespace?: string;
}

const MAX_QUERY_TEXT = 2000;

function spanInfo(text: string, observer: DbObserver) {
  return { ...describeQuery(text), namespace: observer.namespace, text: text.length > MAX_QUERY_TEXT ? text.slice(0, MAX_QUERY_TEXT) : text };
}

/**
 * postgres.js has no OpenTelemetry instrumentation: wrap `unsafe` (what
 * drizzle calls for every statement) so each round trip gets a span and a
 * duration sample, and `begin`/`savepoint` so queries inside transactions do too.
 */
export function instrumentPostgresJs(sql: Sql, observer: DbObserver, inTransaction = false): Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'unsafe') {
        return (text: string, params?: unknown[], options?: unknown) => {
          const pending = (target.unsafe as (...a: unknown[]) => PromiseLike<unknown>)(text, params, options) as PromiseLike<unknown> & { then: PromiseLike<unknown>['then'] };
          const originalThen = pending.then.bind(pending);
          let started = false;
          let run: Promise<unknown> | undefined;
          // postgres.js runs the query when it is awaited; time it from there, once. Inside a
          // transaction postgres.js itself calls the query's `catch` (so `then`) as it starts
          // it: that inner call goes straight through, or every query there had two spans.
          (pending as { then: unknown }).then = (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => {
            if (started) return run ? run.then(onFulfilled, onRejected) : originalThen(onFulfilled, onRejected);
            started = true;
            const info = spanInfo(text, observer);
            if (!inTransaction) observer.connections(1);
            run = withDbSpan(info, () => new Promise((resolve, reject) => originalThen(resolve, reject)), (seconds) => {
              if (!inTransaction) observer.connections(-1);
              observer.query(info.operation, seconds);
            });
            return run.then(onFulfilled, onRejected);
          };
          return pending;
        };
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const callback = args[args.length - 1] as (tx: Sql) => unknown;
          const wrapped = (tx: Sql) => callback(instrumentPostgresJs(tx, observer, true));
          if (prop === 'begin') observer.connections(1);
          const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, [...args.slice(0, -1), wrapped]);
          return prop === 'begin' ? result.finally(() => observer.connections(-1)) : result;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Same for PGlite: drizzle calls `query` (and `transaction`, whose tx has `query`). */
export function instrumentPglite(pg: PGlite, observer: DbObserver): PGlite {
  const wrapQuery = (target: { query: (...a: unknown[]) => Promise<unknown> }, counts: boolean) =>
    (text: string, ...rest: unknown[]) => {
      const info = spanInfo(text, observer);
      if (counts) observer.connections(1);
      return withDbSpan(info, () => target.query(text, ...rest), (seconds) => {
        if (counts) observer.connections(-1);
        observer.query(info.operation, seconds);
      });
    };
  return new Proxy(pg, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'query') return wrapQuery(target as never, true);
      if (prop === 'transaction') {
        return (callback: (tx: unknown) => unknown) => {
          observer.connections(1);
          return target
            .transaction((tx) => callback(new Proxy(tx, { get: (t, p, r) => (p === 'query' ? wrapQuery(t as never, false) : Reflect.get(t, p, r)) })) as Promise<unknown>)
            .finally(() => observer.connections(-1));
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
