/**
 * Applies postgres-patches.ts to postgres.js as it loads: a `pirates` require
 * hook, imported before the driver (database.ts imports this first).
 */
import { addHook } from 'pirates';
import { compactQueues, guardReservations, guardWrites } from './postgres-patches';

export { QUEUE_COMPACT_AFTER, compactQueues, guardReservations, guardWrites, patchDriverSource } from './postgres-patches';

/** Hook options for one source file of the driver (`postgres/src/<file>` or `postgres/cjs/src/<file>`). */
function driverFile(file: string) {
  const path = new RegExp(`[\\\\/]postgres[\\\\/](cjs[\\\\/])?src[\\\\/]${file.replace('.', '\\.')}$`);
  return { exts: ['.js'], ignoreNodeModules: false, matcher: (name: string) => path.test(name) };
}

let guarded = false;
let compacting = false;

/** Registers `patch` for `file` and records whether it changed anything. */
function hook(file: string, patch: (code: string) => string, changed: () => void) {
  addHook(
    (code) => {
      const patched = patch(code);
      if (patched !== code) changed();
      return patched;
    },
    driverFile(file),
  );
}

hook('connection.js', guardWrites, () => (guarded = true));
hook('queue.js', compactQueues, () => (compacting = true));
hook('index.js', guardReservations, () => undefined);

/** Whether the loaded driver got the guard (false: not loaded yet, or a release that no longer needs it). */
export const postgresWriteGuarded = () => guarded;

/** Whether the loaded driver's queues got the compaction (false: not loaded yet, or a release that changed them). */
export const postgresQueueCompacted = () => compacting;
