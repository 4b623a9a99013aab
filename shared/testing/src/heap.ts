import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ServiceProcess, spawnService } from './processes';
import { OtlpReceiver } from './otlp-receiver';
import { dropTestDatabase, serviceTestEnv } from './databases';

/**
 * Node flags that give a spawned service the test-only heap probe (see
 * heap-probe.ts); pass with `ipc: true` to spawnService / startPlatform.
 */
export const HEAP_PROBE_ARGS: readonly string[] = ['--expose-gc', '--require', path.join(__dirname, 'heap-probe.js')];

/**
 * HEAP_PROBE_ARGS for a leak test, with two V8 settings that take the
 * compiler's own bookkeeping out of the readings (which objects a program
 * keeps does not depend on either):
 * - `--max-opt=1`: the baseline compiler at most, no TurboFan. In a fresh
 *   process TurboFan keeps optimising and deoptimising hot paths for tens of
 *   thousands of calls, and the deoptimisation data and relocation info of
 *   that code live among the heap's objects, outside the code spaces: a
 *   snapshot diff of the product service showed +570 KB of them over 5000
 *   cached reads after 4000 warm-up calls, and fits wandered up to ±90 B/call.
 * - `--no-flush-bytecode`: V8 throws away the bytecode of functions that have
 *   not run for a number of collections (start-up code, the last test's
 *   path), and every reading runs several: a snapshot diff showed 1.1 MB of
 *   bytecode, constant pools and source positions going at once, 25 s into a
 *   run, which a fit reads as a fall of ~900 B per call.
 * With both, healthy paths fit within ±20 B/call. The soak (bench/soak.js)
 * runs with V8's defaults, as production does, for long enough to settle.
 */
export const LEAK_TEST_ARGS: readonly string[] = ['--max-opt=1', '--no-flush-bytecode', ...HEAP_PROBE_ARGS];

/** process.memoryUsage() of a service right after a forced, settled GC. */
export interface HeapReading {
  heapUsed: number;
  /** Of heapUsed, the bytes of compiled code (V8's code spaces). */
  codeUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

let sequence = 0;

function ask<T>(child: ChildProcess, request: Record<string, unknown>, timeoutMs: number): Promise<T> {
  if (!child.send || !child.connected) throw new Error('the service has no IPC channel: spawn it with HEAP_PROBE_ARGS and ipc: true');
  const id = ++sequence;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`heap probe did not answer within ${timeoutMs} ms (was the service started with HEAP_PROBE_ARGS?)`));
    }, timeoutMs);
    const onMessage = (message: { id?: number }) => {
      if (message?.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send!({ ...request, id });
  });
}

/** The service's heap after a forced GC (its exported spans flushed first). */
export function readHeap(service: Pick<ServiceProcess, 'child'>, timeoutMs = 60_000): Promise<HeapReading> {
  return ask<HeapReading>(service.child, { type: 'heap' }, timeoutMs);
}

/** Writes a V8 heap snapshot of the service (after a forced GC) and returns its file name. */
export async function writeHeapSnapshot(service: Pick<ServiceProcess, 'child'>, file: string, timeoutMs = 120_000): Promise<string> {
  return (await ask<{ file: string }>(service.child, { type: 'snapshot', path: file }, timeoutMs)).file;
}

/**
 * Runs `total` calls of `call(i)` on `concurrency` workers. A call answers
 * true when its result is the expected one; the first unexpected one fails
 * the run after all calls finished (so the heap reading stays comparable).
 */
export async function drive(total: number, concurrency: number, call: (i: number) => Promise<boolean>): Promise<void> {
  let next = 0;
  let failures = 0;
  let first: unknown;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        try {
          if (!(await call(i))) throw new Error(`call ${i} answered something unexpected`);
        } catch (error) {
          failures++;
          first ??= error;
        }
      }
    }),
  );
  if (failures) throw new Error(`${failures} of ${total} calls failed; first: ${first instanceof Error ? first.message : String(first)}`);
}

export interface HeapGrowth {
  /** Heap after each segment of calls (the first after the first segment). */
  readings: HeapReading[];
  /**
   * Bytes kept per call: the least-squares slope of the data heap (heapUsed
   * less compiled code) over the calls made. Data heap, because V8's
   * optimised code for hot paths keeps growing for tens of thousands of calls
   * (profiled: 80% of the growth of a flat service over 16,000 NOT_FOUND calls
   * was code and deopt data); a leak keeps objects.
   */
  perCall: number;
}

export interface HeapGrowthOptions {
  /** The processes to watch (each spawned with HEAP_PROBE_ARGS and ipc). */
  services: Pick<ServiceProcess, 'name' | 'child'>[];
  /** Calls before the first reading: lazy initialisation, JIT and pools settle. */
  warmup: number;
  /** Calls measured. */
  calls: number;
  /** Equal runs the measured calls are split into, with a reading after each (default 8). */
  segments?: number;
  concurrency: number;
  call: (i: number) => Promise<boolean>;
}

/** Least-squares slope of ys over xs. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let k = 0; k < n; k++) {
    num += (xs[k] - mx) * (ys[k] - my);
    den += (xs[k] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * How many heap bytes each call leaves behind, per service (spawned with
 * LEAK_TEST_ARGS and ipc): the measured
 * calls run in equal segments with a settled reading after each, and the
 * result is the slope of a line fitted through the readings. A leak raises
 * every reading by the same amount per call; the fit averages out the
 * reading-to-reading noise of a healthy heap (pooled objects, hash tables
 * resizing), where the difference of two readings would carry
 * all of it. The reading right after warm-up is taken and dropped: after a
 * burst longer than a segment the heap read high (~0.6 MB after 2000 calls,
 * seen with V8's default flags), which would count as a fall.
 */
export async function measureHeapGrowth(options: HeapGrowthOptions): Promise<Record<string, HeapGrowth>> {
  const readAll = () => Promise.all(options.services.map((s) => readHeap(s)));
  const segments = options.segments ?? 8;
  if (segments < 3) throw new Error('measureHeapGrowth needs at least 3 segments to fit a line');
  const segment = Math.ceil(options.calls / segments);
  await drive(options.warmup, options.concurrency, options.call);
  await readAll();
  const readings: HeapReading[][] = [];
  for (let s = 0; s < segments; s++) {
    const offset = options.warmup + s * segment;
    await drive(segment, options.concurrency, (i) => options.call(offset + i));
    readings.push(await readAll());
  }
  const calls = readings.map((_, s) => (s + 1) * segment);
  return Object.fromEntries(
    options.services.map((service, k) => {
      const own = readings.map((r) => r[k]);
      return [service.name, { readings: own, perCall: slope(calls, own.map(dataHeap)) }];
    }),
  );
}

/** The heap of objects: heapUsed without compiled code. */
export function dataHeap(reading: HeapReading): number {
  return reading.heapUsed - reading.codeUsed;
}

/** One line per service for test output: data heap MB at the first, middle and last readings, code MB, and bytes kept per call. */
export function describeGrowth(growth: Record<string, HeapGrowth>): string {
  const mb = (n: number) => (n / 1e6).toFixed(2);
  return Object.entries(growth)
    .map(
      ([name, g]) => {
        const shown = [g.readings[0], g.readings[Math.floor(g.readings.length / 2)], g.readings[g.readings.length - 1]];
        return `${name}: heap without code ${shown.map((r) => mb(dataHeap(r))).join(' → ')} MB (code ${shown.map((r) => mb(r.codeUsed)).join(' → ')} MB), fitted over ${g.readings.length} readings: ${g.perCall.toFixed(1)} B/call`;
      },
    )
    .join('\n');
}

/**
 * Environment of a service under a memory test, as in production: info logs,
 * spans exported over OTLP (to `otlp`, which drops them).
 */
export function productionLikeEnv(otlp: OtlpReceiver): Record<string, string> {
  return { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
}

export interface ProbedService {
  service: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * One service as its own process with the heap probe (LEAK_TEST_ARGS), on a fresh database,
 * Redis when available, production-like telemetry and logs.
 */
export async function spawnProbedService(name: string, extraEnv: Record<string, string> = {}): Promise<ProbedService> {
  const otlp = await new OtlpReceiver({ keep: false }).start();
  const env = await serviceTestEnv(name, { ...productionLikeEnv(otlp), ...extraEnv });
  const service = await spawnService(name, env, { execArgv: [...LEAK_TEST_ARGS], ipc: true });
  return {
    service,
    stop: async () => {
      await service.stop();
      await otlp.close();
      await dropTestDatabase(env.DATABASE_URL);
    },
  };
}
