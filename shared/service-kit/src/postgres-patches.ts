/**
 * Three patches to postgres.js 3.4.9, applied as its source loads (a `pirates`
 * require hook, so they hold in every install, container images included;
 * jest, whose module loader require hooks do not reach, applies the same
 * functions through `jest-postgres-transform.js`).
 *
 * 1. A guard for a crash in postgres.js 3.4.9 (porsager/postgres#1066, #1154,
 * #1208; fix proposed in PR #1209, not released): when a connection closes
 * under a transaction, postgres.js writes the transaction's ROLLBACK to the
 * closed connection, a setImmediate then calls `socket.write` on `null`, and
 * the TypeError escapes every try/catch: the whole service dies because its
 * database went away for a moment. The chaos run's db-order fault found it.
 *
 * Until a release fixes it, the driver's `nextWrite` is given the guard of
 * PR #1209: with no socket it drops the buffered write and fails the
 * connection's queries with CONNECTION_CLOSED, which callers handle like any
 * lost connection. A driver whose source no longer has the unguarded line (a
 * fixed release) is left alone.
 *
 * 2. A leak in its connection queues (src/queue.js, unchanged on master):
 * `shift` blanks the slot it took and only resets the array when the queue
 * runs empty. The pool's queue of idle connections never runs empty while a
 * service has more connections than concurrent queries, so its array gains
 * one slot per query, for ever: the slow heap trend of every service in the
 * soak (heap snapshots: one Array held by the pool's `open` queue, 120 KB →
 * 271 KB over 16,000 calls). `shift` now also drops the blanked head once it
 * is at least half of the array (amortised O(1), order and `remove` as
 * before). No upstream issue was found; a release that changes the line is
 * left alone.
 *
 * 3. A reserved connection (`sql.reserve()`) that closes stays usable through
 * its handle (src/index.js): the pool has already moved it to its closed
 * queue, may reconnect it for another caller, and a later query or `release()`
 * through the old handle then lands on that caller's session (a ROLLBACK in
 * someone else's transaction) or puts a dead connection back among the idle
 * ones. postgres.js's own `begin` has the same shape; the kit's pipelined
 * transactions (db-instrument.ts) use `reserve` and so need it closed off:
 * once the pool took the connection back (`c.reserved` is no longer this
 * reservation's), the handle's queries fail with CONNECTION_CLOSED and its
 * `release()` does nothing; a guarded handle's `release.guarded` is true.
 * Applied only when all three places are found.
 */

const UNGUARDED = /function nextWrite\(fn\) \{\n(\s*)const x = socket\.write\(chunk, fn\)/;

const UNCOMPACTED = /\n(\s*)xs\[index - 1\] = undefined\n/;
/** Compact a queue once this many taken slots are blanked at its head (and they are at least half of it). */
export const QUEUE_COMPACT_AFTER = 1024;

const RESERVATION = /\n(\s*)c\.reserved\.release = true\n/;
const RESERVED_RELEASE = /sql\.release = \(\) => \{\n(\s*)c\.reserved = null\n/;
const RESERVED_HANDLER = /return sql\n\n(\s*)function handler\(q\) \{\n(\s*)c\.queue === full\n\s*\? queue\.push\(q\)/;

/** postgres.js's src/connection.js with the write to a closed connection guarded (unchanged when the line is not there). */
export function guardWrites(code: string): string {
  return code.replace(
    UNGUARDED,
    (_, indent: string) =>
      `function nextWrite(fn) {\n${indent}if (!socket) { nextWriteTimer !== null && clearImmediate(nextWriteTimer); chunk = nextWriteTimer = null; error(Errors.connection('CONNECTION_CLOSED', options)); return false }\n${indent}const x = socket.write(chunk, fn)`,
  );
}

/** postgres.js's src/queue.js with the compaction (unchanged when the line is not there). */
export function compactQueues(code: string): string {
  return code.replace(
    UNCOMPACTED,
    (_, indent: string) => `\n${indent}xs[index - 1] = undefined\n${indent}if (index >= ${QUEUE_COMPACT_AFTER} && index * 2 >= xs.length) { xs = xs.slice(index); index = 0 }\n`,
  );
}

/** postgres.js's src/index.js with reserved handles closed off once their connection is gone (unchanged unless all the lines match). */
export function guardReservations(code: string): string {
  if (!RESERVATION.test(code) || !RESERVED_RELEASE.test(code) || !RESERVED_HANDLER.test(code)) return code;
  return code
    .replace(RESERVATION, (line, indent: string) => `${line}${indent}const reservation = c.reserved\n`)
    .replace(RESERVED_RELEASE, (_, indent: string) => `sql.release = () => {\n${indent}if (c.reserved !== reservation) return\n${indent}c.reserved = null\n`)
    .replace(RESERVED_HANDLER, (line, indent: string, inner: string) =>
      `sql.release.guarded = true\n${indent}${line.replace(/\{\n/, `{\n${inner}if (c.reserved !== reservation) return q.reject(Errors.connection('CONNECTION_CLOSED', options))\n`)}`,
    );
}

/** The patch for one source file of the driver, by its path (`postgres/src/<file>` or `postgres/cjs/src/<file>`); other files unchanged. */
export const DRIVER_PATCHES: Record<string, (code: string) => string> = { 'connection.js': guardWrites, 'queue.js': compactQueues, 'index.js': guardReservations };

/** The driver's file that `filename` is, if it is one the kit patches (`connection.js`, …). */
export function patchedDriverFile(filename: string): string | undefined {
  const file = /[\\/]postgres[\\/](?:cjs[\\/])?src[\\/]([a-z]+\.js)$/.exec(filename)?.[1];
  return file !== undefined && file in DRIVER_PATCHES ? file : undefined;
}

/** Applies the patch of `filename`, if it is one of the driver's patched files. */
export function patchDriverSource(filename: string, code: string): string {
  const file = patchedDriverFile(filename);
  return file ? DRIVER_PATCHES[file](code) : code;
}
