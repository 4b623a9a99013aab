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
  /** Heap after warm-up, halfway and at the end. */
  readings: [HeapReading, HeapReading, HeapReading];
  /**
   * Bytes kept per call: the smaller growth of the two halves, divided by the
   * calls of one half. Growth is of the data heap (heapUsed less compiled code):
   * what a leak keeps is objects, while V8's optimised code for hot paths keeps
   * growing for tens of thousands of calls (profiled: 80% of the growth of a
   * flat service over 16,000 NOT_FOUND calls was code and deopt data).
   */
  perCall: number;
}

export interface HeapGrowthOptions {
  /** The processes to watch (each spawned with HEAP_PROBE_ARGS and ipc). */
  services: Pick<ServiceProcess, 'name' | 'child'>[];
  /** Calls before the first reading: lazy initialisation, JIT and pools settle. */
  warmup: number;
  /** Calls measured (two halves). */
  calls: number;
  concurrency: number;
  call: (i: number) => Promise<boolean>;
}

/**
 * How many heap bytes each call leaves behind, per service. Readings are
 * taken after warm-up, after half the calls and at the end; growth per call
 * is the smaller of the two halves' growth. A leak grows the heap in both
 * halves by the same amount; one-off growth (a lazily built table, optimised
 * code, a pool filling up) shows in one half only, so the minimum keeps the
 * leak and drops most of that noise.
 */
export async function measureHeapGrowth(options: HeapGrowthOptions): Promise<Record<string, HeapGrowth>> {
  const readAll = () => Promise.all(options.services.map((s) => readHeap(s)));
  await drive(options.warmup, options.concurrency, options.call);
  const before = await readAll();
  const half = Math.ceil(options.calls / 2);
  await drive(half, options.concurrency, (i) => options.call(options.warmup + i));
  const middle = await readAll();
  await drive(half, options.concurrency, (i) => options.call(options.warmup + half + i));
  const after = await readAll();
  return Object.fromEntries(
    options.services.map((s, k) => {
      const growth = Math.min(dataHeap(middle[k]) - dataHeap(before[k]), dataHeap(after[k]) - dataHeap(middle[k]));
      return [s.name, { readings: [before[k], middle[k], after[k]], perCall: growth / half }];
    }),
  );
}

/** The heap of objects: heapUsed without compiled code. */
export function dataHeap(reading: HeapReading): number {
  return reading.heapUsed - reading.codeUsed;
}

/** One line per service for test output: data heap MB at the three readings, code MB, and bytes kept per call. */
export function describeGrowth(growth: Record<string, HeapGrowth>): string {
  const mb = (n: number) => (n / 1e6).toFixed(2);
  return Object.entries(growth)
    .map(
      ([name, g]) =>
        `${name}: heap without code ${g.readings.map((r) => mb(dataHeap(r))).join(' → ')} MB (code ${g.readings.map((r) => mb(r.codeUsed)).join(' → ')} MB), ${g.perCall.toFixed(1)} B/call`,
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
 * One service as its own process with the heap probe, on a fresh database,
 * Redis when available, production-like telemetry and logs.
 */
export async function spawnProbedService(name: string, extraEnv: Record<string, string> = {}): Promise<ProbedService> {
  const otlp = await new OtlpReceiver({ keep: false }).start();
  const env = await serviceTestEnv(name, { ...productionLikeEnv(otlp), ...extraEnv });
  const service = await spawnService(name, env, { execArgv: [...HEAP_PROBE_ARGS], ipc: true });
  return {
    service,
    stop: async () => {
      await service.stop();
      await otlp.close();
      await dropTestDatabase(env.DATABASE_URL);
    },
  };
}
