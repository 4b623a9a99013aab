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

/** Several collections with turns of the event loop between them, so finalizers and weak references settle. */
async function settledGc(): Promise<void> {
  await flushSpans();
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
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
      const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
      process.send!({ type: 'heap', id: message.id, heapUsed, codeUsed: codeSpaceUsed(), rss, external, arrayBuffers });
    })();
  });
}
