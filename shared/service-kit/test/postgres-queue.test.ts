/**
 * postgres.js's connection queues, as the kit loads them (see
 * postgres-guard.ts): first-in first-out with `remove`, as before the patch,
 * and flat in memory when the queue never runs empty, which is how the pool's
 * queue of idle connections lives in a service with spare connections.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { compactQueues, QUEUE_COMPACT_AFTER } from '../src/postgres-guard';

type Queue<T> = { length: number; push(x: T): T; shift(): T | undefined; remove(x: T): T | null };

/** The driver's own queue source, through the kit's patch (jest has its own module loader, which require hooks do not reach). */
const driverQueueFile = path.join(path.dirname(require.resolve('postgres')), 'queue.js');
const patchedSource = compactQueues(fs.readFileSync(driverQueueFile, 'utf8'));
function Queue<T>(): Queue<T> {
  const module = { exports: {} as unknown };
  new Function('module', 'exports', patchedSource)(module, module.exports);
  return (module.exports as () => Queue<T>)();
}

describe("postgres.js's queue (patched as it loads)", () => {
  it('finds the line it patches in the installed driver', () => {
    expect(patchedSource).not.toBe(fs.readFileSync(driverQueueFile, 'utf8'));
    expect(patchedSource).toContain(`index >= ${QUEUE_COMPACT_AFTER}`);
  });

  it('behaves as a plain FIFO with remove, across compactions', () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'push' as const }) },
      { weight: 4, arbitrary: fc.constant({ kind: 'shift' as const }) },
      { weight: 1, arbitrary: fc.nat(50).map((k) => ({ kind: 'remove' as const, k })) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: QUEUE_COMPACT_AFTER, maxLength: QUEUE_COMPACT_AFTER * 6 }), (ops) => {
        const queue = Queue<number>();
        const model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            queue.push(next);
            model.push(next++);
          } else if (o.kind === 'shift') {
            expect(queue.shift()).toBe(model.shift());
          } else {
            const victim = next - 1 - o.k;
            const at = model.indexOf(victim);
            expect(queue.remove(victim)).toBe(at === -1 ? null : victim);
            if (at !== -1) model.splice(at, 1);
          }
          expect(queue.length).toBe(model.length);
        }
        while (model.length) expect(queue.shift()).toBe(model.shift());
      }),
      { numRuns: 20 },
    );
  });

  // A separate node with --expose-gc: the pool's pattern (take an idle connection, give it
  // back, one always left idle) a million times. Unpatched, the array keeps a slot per cycle
  // (8 MB and more for a million); patched, it stays a few KB.
  it('keeps a queue that never runs empty flat in memory', () => {
    const script = `
      const guard = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'postgres-guard.js'))});
      const Queue = require(${JSON.stringify(driverQueueFile)});
      const queue = Queue();
      queue.push({}); queue.push({});
      const cycle = (n) => { for (let i = 0; i < n; i++) queue.push(queue.shift()); };
      cycle(10000); global.gc();
      const before = process.memoryUsage().heapUsed;
      cycle(1000000); global.gc();
      console.log(JSON.stringify({ perCycle: (process.memoryUsage().heapUsed - before) / 1000000, length: queue.length, compacted: guard.postgresQueueCompacted() }));`;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
    expect(run.stderr).toBe('');
    const { perCycle, length, compacted } = JSON.parse(run.stdout) as { perCycle: number; length: number; compacted: boolean };
    expect(compacted).toBe(true);
    expect(length).toBe(2);
    expect(perCycle).toBeLessThan(1);
  });
});
