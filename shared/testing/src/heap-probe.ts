/**
 * Test-only preload (`node --expose-gc --require .../heap-probe.js main.js`,
 * see HEAP_PROBE_ARGS): answers IPC messages from the test process with the
 * heap after a forced, settled garbage collection. Nothing of this is in a
 * service's production code path: a service only has it when a test starts
 * it with these flags and an IPC channel.
 *
 *   { type: 'heap', id }            → { type: 'heap', id, heapUsed, codeUsed, rss, external, arrayBuffers }
 *   { type: 'snapshot', id, path }  → { type: 'snapshot', id, file }   (v8.writeHeapSnapshot)
 */
import * as v8 from 'node:v8';
import { trace } from '@opentelemetry/api';

interface ProbeRequest {
  type: 'heap' | 'snapshot';
  id: number;
  path?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Exported spans waiting in the batch processor are live until the next
 * export (up to 2048 of them): flush them first so the reading does not
 * depend on where the exporter's 5 s timer happens to be.
 */
async function flushSpans(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.().catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reading has settled when another round of collections frees less than this. */
const SETTLED_BYTES = 32 * 1024;
/** Most rounds of collections for one reading. */
const MAX_ROUNDS = 12;

/**
 * Collections until the heap stops shrinking, after the timers that release
 * per-request state have had their turn (batched audit rows, cleanup
 * callbacks). What took the spread out of the readings was the final
 * collection in the reading's own turn (see the message handler); this loop
 * makes sure nothing releasable is still waiting when that reading is taken.
 */
async function settledGc(): Promise<void> {
  await flushSpans();
  // Timers that release per-request state fire first (audit rows wait 250 ms for their batch).
  await sleep(300);
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (let i = 0; i < 2; i++) {
      gc!();
      await sleep(10);
    }
    const used = process.memoryUsage().heapUsed;
    if (previous - used < SETTLED_BYTES) return;
    previous = used;
    await sleep(50);
  }
}

/**
 * Bytes of the heap holding compiled code (code_space, code_large_object_space):
 * V8 keeps optimising and deoptimising hot functions for tens of thousands of
 * calls, which grows these spaces by a few hundred KB that no request owns.
 */
function codeSpaceUsed(): number {
  return v8
    .getHeapSpaceStatistics()
    .filter((space) => space.space_name.includes('code'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

if (process.send && gc) {
  // The channel must not keep the service alive once it is asked to stop.
  process.channel?.unref();
  process.on('message', (message: ProbeRequest) => {
    void (async () => {
      await settledGc();
      if (message.type === 'snapshot') {
        process.send!({ type: 'snapshot', id: message.id, file: v8.writeHeapSnapshot(message.path) });
        return;
      }
      // Read in the same turn as the last collection: whatever the event loop runs after
      // it (timers, this IPC message) allocates in the young generation, which heapUsed counts.
      gc!();
      const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
      process.send!({ type: 'heap', id: message.id, heapUsed, codeUsed: codeSpaceUsed(), rss, external, arrayBuffers });
    })();
  });
}
