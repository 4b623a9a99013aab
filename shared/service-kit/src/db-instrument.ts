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
          const result =
            prop === 'begin' && args.length === 1
              ? pipelinedBegin(target, wrapped)
              : (value as (...a: unknown[]) => Promise<unknown>).apply(target, [...args.slice(0, -1), wrapped]);
          return prop === 'begin' ? result.finally(() => observer.connections(-1)) : result;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A transaction whose BEGIN travels with its first statement. postgres.js's
 * `begin` waits for BEGIN's answer before it runs the callback: per
 * transaction, a round trip (a socket write, a wake-up of the backend, a
 * read) that carries nothing. Here the transaction runs on a reserved
 * connection and BEGIN is only queued: postgres.js writes what a connection
 * was given within one turn of the event loop in one go. COMMIT goes out the
 * same way behind a last statement that was not awaited (the audit row).
 * BEGIN cannot fail on a live connection; on a lost one, so does the first
 * statement. A COMMIT that the server turned into a ROLLBACK (a statement
 * nobody awaited had failed) is an error, never a silent success. The
 * connection goes back to the pool once COMMIT or ROLLBACK was answered; if
 * it was lost meanwhile, the pool already took it back and the handle is
 * closed off (postgres-guard.ts).
 */
async function pipelinedBegin(pool: Sql, fn: (tx: Sql) => unknown): Promise<unknown> {
  const tx = await pool.reserve();
  if (!(tx.release as { guarded?: boolean }).guarded) {
    // A driver without the guard (a release whose source changed): its own `begin`.
    tx.release();
    return pool.begin((t) => fn(t as unknown as Sql));
  }
  let savepoints = 0;
  const savepoint = async (...args: unknown[]) => {
    const inner = args[args.length - 1] as (tx: Sql) => unknown;
    const name = `s${savepoints++}`;
    await tx.unsafe(`savepoint ${name}`);
    try {
      const result = await inner(tx);
      await tx.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await tx.unsafe(`rollback to savepoint ${name}`);
      throw error;
    }
  };
  Object.assign(tx, { savepoint });
  // Back to the pool only if the session is known to be alive and idle: its COMMIT or
  // ROLLBACK was answered, or refused with a plain ERROR. A lost connection (or a FATAL:
  // the server closes it) goes back through the pool's own close handling instead.
  let alive = true;
  const ending = (error: unknown) => {
    alive = (error as { severity?: string }).severity === 'ERROR';
  };
  try {
    const begun = tx.unsafe('begin').execute();
    begun.catch(() => undefined);
    let result: unknown;
    try {
      result = await fn(tx);
      await begun;
    } catch (error) {
      await tx.unsafe('rollback').catch(ending);
      throw error;
    }
    const committed = await tx.unsafe('commit').catch((error: unknown) => {
      ending(error);
      throw error;
    });
    if (committed.command !== 'COMMIT') {
      throw Object.assign(new Error('the transaction was rolled back instead of committed: one of its statements failed'), { code: '25P02' });
    }
    return result;
  } finally {
    if (alive) tx.release();
  }
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
