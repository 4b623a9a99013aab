/**
 * How a service process is started, for every launcher written in TypeScript
 * (`npm start`, the test and bench harness). Images, manifests and the
 * services' own `npm start` scripts say the same in their own syntax:
 * `NODE_OPTIONS=--max-old-space-size=160` and
 * `node --require @fedmcp/instrumentation/register dist/main.js`.
 *
 * Kept free of imports: launchers load this without starting telemetry.
 */

/** Preload module that starts OpenTelemetry before the app. */
export const INSTRUMENTATION_REGISTER = '@fedmcp/instrumentation/register';

/**
 * The old generation's budget in MB. Without one, V8 sizes it from the
 * machine's memory and lets it grow to four times the live heap under load:
 * a service with ~50 MB live reached 215 MB of heap and 285 MB resident
 * after the bench's order scenarios. With 160 MB the largest was 167 MB
 * resident, for about 1 ms more garbage collection per order over the four
 * services (bench/README.md, Memory). The live heap stays near 50 MB under
 * load, so the budget leaves three times that before V8 collects at every
 * allocation.
 */
export const SERVICE_HEAP_MB = 160;

/** `node` flags of a service process: its heap budget, then the caller's `extra` flags. */
export function serviceNodeFlags(extra: readonly string[] = []): string[] {
  return [`--max-old-space-size=${SERVICE_HEAP_MB}`, ...extra];
}

/** The whole argument list after `node` for a service whose entry is `entry`. */
export function serviceNodeArgs(entry: string, extra: readonly string[] = []): string[] {
  return [...serviceNodeFlags(extra), '--require', INSTRUMENTATION_REGISTER, entry];
}
