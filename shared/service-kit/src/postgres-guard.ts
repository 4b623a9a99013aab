/**
 * Two patches to postgres.js 3.4.9, applied as its source loads (a `pirates`
 * require hook, so they hold in every install, container images included).
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
 */
import { addHook } from 'pirates';

const UNGUARDED = /function nextWrite\(fn\) \{\n(\s*)const x = socket\.write\(chunk, fn\)/;

const UNCOMPACTED = /\n(\s*)xs\[index - 1\] = undefined\n/;
/** Compact a queue once this many taken slots are blanked at its head (and they are at least half of it). */
export const QUEUE_COMPACT_AFTER = 1024;

/** Hook options for one source file of the driver (`postgres/src/<file>` or `postgres/cjs/src/<file>`). */
function driverFile(file: string) {
  const path = new RegExp(`[\\\\/]postgres[\\\\/](cjs[\\\\/])?src[\\\\/]${file.replace('.', '\\.')}$`);
  return { exts: ['.js'], ignoreNodeModules: false, matcher: (name: string) => path.test(name) };
}

let guarded = false;
let compacting = false;

addHook(
  (code) => {
    if (!UNGUARDED.test(code)) return code;
    guarded = true;
    return code.replace(
      UNGUARDED,
      (_, indent: string) =>
        `function nextWrite(fn) {\n${indent}if (!socket) { nextWriteTimer !== null && clearImmediate(nextWriteTimer); chunk = nextWriteTimer = null; error(Errors.connection('CONNECTION_CLOSED', options)); return false }\n${indent}const x = socket.write(chunk, fn)`,
    );
  },
  driverFile('connection.js'),
);

/** postgres.js's src/queue.js with the compaction (unchanged when the line is not there). */
export function compactQueues(code: string): string {
  return code.replace(
    UNCOMPACTED,
    (_, indent: string) => `\n${indent}xs[index - 1] = undefined\n${indent}if (index >= ${QUEUE_COMPACT_AFTER} && index * 2 >= xs.length) { xs = xs.slice(index); index = 0 }\n`,
  );
}

addHook(
  (code) => {
    const patched = compactQueues(code);
    compacting ||= patched !== code;
    return patched;
  },
  driverFile('queue.js'),
);

/** Whether the loaded driver got the guard (false: not loaded yet, or a release that no longer needs it). */
export const postgresWriteGuarded = () => guarded;

/** Whether the loaded driver's queues got the compaction (false: not loaded yet, or a release that changed them). */
export const postgresQueueCompacted = () => compacting;
