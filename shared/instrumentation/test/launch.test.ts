import { execFileSync } from 'node:child_process';
import { INSTRUMENTATION_REGISTER, SERVICE_HEAP_MB, serviceNodeArgs, serviceNodeFlags } from '../src/launch';

const heapLimitMb = (flags: string[]): number =>
  Number(execFileSync(process.execPath, [...flags, '-e', 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))'], { env: { PATH: process.env.PATH } })) / 2 ** 20;

describe('service launch arguments', () => {
  it('put the heap budget first, then the caller’s flags, then the telemetry preload and the entry', () => {
    expect(serviceNodeArgs('dist/main.js', ['--cpu-prof'])).toEqual([`--max-old-space-size=${SERVICE_HEAP_MB}`, '--cpu-prof', '--require', INSTRUMENTATION_REGISTER, 'dist/main.js']);
    expect(serviceNodeArgs('dist/main.js')).toEqual([`--max-old-space-size=${SERVICE_HEAP_MB}`, '--require', INSTRUMENTATION_REGISTER, 'dist/main.js']);
  });

  it('give V8 the budget: the heap limit is the old generation’s budget plus the young generation', () => {
    const bounded = heapLimitMb(serviceNodeFlags());
    expect(bounded).toBeGreaterThanOrEqual(SERVICE_HEAP_MB);
    expect(bounded).toBeLessThan(SERVICE_HEAP_MB + 64);
    // Without it V8 sizes the heap from the machine's memory (gigabytes here).
    expect(heapLimitMb([])).toBeGreaterThan(SERVICE_HEAP_MB * 4);
  });

  it('let a caller’s later flag override the budget (a deployment that needs more)', () => {
    expect(heapLimitMb(serviceNodeFlags(['--max-old-space-size=512']))).toBeGreaterThanOrEqual(512);
  });
});
