/**
 * Applies postgres-patches.ts to postgres.js as it loads: a `pirates` require
 * hook, imported before the driver (database.ts imports this first).
 */
import { addHook } from 'pirates';
import { patchDriverSource, patchedDriverFile } from './postgres-patches';

export { QUEUE_COMPACT_AFTER, compactQueues, guardReservations, guardWrites, patchDriverSource } from './postgres-patches';

/** The driver's files whose patch changed them as they loaded. */
const changed = new Set<string>();

addHook(
  (code, filename) => {
    const patched = patchDriverSource(filename, code);
    if (patched !== code) changed.add(patchedDriverFile(filename)!);
    return patched;
  },
  { exts: ['.js'], ignoreNodeModules: false, matcher: (filename) => patchedDriverFile(filename) !== undefined },
);

/** Whether the loaded driver got the guard (false: not loaded yet, or a release that no longer needs it). */
export const postgresWriteGuarded = () => changed.has('connection.js');

/** Whether the loaded driver's queues got the compaction (false: not loaded yet, or a release that changed them). */
export const postgresQueueCompacted = () => changed.has('queue.js');
