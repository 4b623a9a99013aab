/**
 * A small process supervisor for the local runner (`npm start`): keeps each
 * child running, restarts one that dies with exponential backoff, gives up on
 * a child that keeps crashing right after it starts, and stops everything
 * gracefully on request. Generic over the fleet: it knows names, a spawn
 * function and (optionally) a readiness URL, nothing about the services.
 *
 * Chosen over pm2's programmatic API because the runner needs none of what
 * pm2 adds (a daemon that outlives the terminal, global state in ~/.pm2,
 * clustering, log files) and all of what it would get in the way of: the
 * children's output interleaved in this terminal, Ctrl+C stopping everything,
 * and no process left behind.
 */
import type { ChildProcess } from 'node:child_process';

export interface SupervisedSpec {
  readonly name: string;
  /** Starts one instance (called again on each restart). */
  spawn(): ChildProcess;
  /** Polled after a restart to announce the service is back (GET, 200 = ready). */
  readonly readyUrl?: string;
}

export interface RestartPolicy {
  /** Delay before the first restart; doubles with each crash in a row. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that ran at least this long before dying starts a fresh count. */
  stableAfterMs: number;
  /** Crashes in a row (each within `stableAfterMs` of starting) before giving up. */
  maxCrashes: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 8000, stableAfterMs: 30_000, maxCrashes: 5, stopTimeoutMs: 15_000 };

interface Slot {
  spec: SupervisedSpec;
  child?: ChildProcess;
  exited?: Promise<void>;
  startedAt: number;
  /** Restarts so far (for the log line). */
  restarts: number;
  /** Crashes in a row, each soon after its start. */
  crashes: number;
  gaveUp: boolean;
  timer?: NodeJS.Timeout;
}

/** Describes how a child ended, e.g. "signal SIGKILL" or "exit code 1". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  private watching = false;

  constructor(
    specs: readonly SupervisedSpec[],
    private readonly log: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    for (const spec of specs) this.slots.set(spec.name, { spec, startedAt: 0, restarts: 0, crashes: 0, gaveUp: false });
  }

  /**
   * Starts every child; returns each one's first process (to wait for
   * readiness). Exits are not restarted until `watch()`: a child that cannot
   * start the first time is a configuration problem to report, not to retry.
   */
  start(): Map<string, ChildProcess> {
    const first = new Map<string, ChildProcess>();
    for (const slot of this.slots.values()) first.set(slot.spec.name, this.launch(slot));
    return first;
  }

  /** From now on, a child that dies is restarted. */
  watch(): void {
    this.watching = true;
  }

  /** The current process of a child (undefined while it waits for a restart, or after giving up). */
  process(name: string): ChildProcess | undefined {
    return this.slots.get(name)?.child;
  }

  /** Names of the children the supervisor gave up on. */
  gaveUp(): string[] {
    return [...this.slots.values()].filter((s) => s.gaveUp).map((s) => s.spec.name);
  }

  private launch(slot: Slot): ChildProcess {
    const child = slot.spec.spawn();
    slot.child = child;
    slot.startedAt = Date.now();
    slot.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      if (slot.child === child) slot.child = undefined;
      resolve();
      this.onExit(slot, code, signal);
    }));
    // A spawn failure (e.g. node missing) surfaces as 'error' and then 'exit'; keep it from throwing.
    child.on('error', (error) => this.log(`${slot.spec.name} could not be started: ${error.message}`));
    this.log(`${slot.spec.name} started (pid ${child.pid})`);
    return child;
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || !this.watching) return;
    const ranMs = Date.now() - slot.startedAt;
    slot.crashes = ranMs >= this.policy.stableAfterMs ? 1 : slot.crashes + 1;
    const how = describeExit(code, signal);
    if (slot.crashes >= this.policy.maxCrashes) {
      slot.gaveUp = true;
      this.log(
        `${slot.spec.name} stopped unexpectedly (${how}) and has crashed ${slot.crashes} times in a row, each within ${Math.round(this.policy.stableAfterMs / 1000)} s of starting: ` +
          `giving up on it after ${slot.restarts} restarts. The other services keep running; fix the cause (see its log lines above) and run npm start again.`,
      );
      return;
    }
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** (slot.crashes - 1));
    slot.restarts++;
    this.log(`${slot.spec.name} stopped unexpectedly (${how}); restarting it in ${(delay / 1000).toFixed(1)} s (restart ${slot.restarts})`);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.stopping) return;
      const child = this.launch(slot);
      if (slot.spec.readyUrl) void this.announceReady(slot, child, slot.spec.readyUrl);
    }, delay);
  }

  /** Logs once the restarted child answers its readiness URL (or says nothing if it dies first). */
  private async announceReady(slot: Slot, child: ChildProcess, url: string): Promise<void> {
    const started = Date.now();
    while (!this.stopping && slot.child === child && child.exitCode === null && child.signalCode === null) {
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) {
          this.log(`${slot.spec.name} is back (ready ${((Date.now() - started) / 1000).toFixed(1)} s after restart ${slot.restarts})`);
          return;
        }
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops every child (SIGTERM, then SIGKILL after the policy's timeout); no restarts from now on. */
  async stop(): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      const child = slot.child;
      if (!child || !slot.exited) continue;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), this.policy.stopTimeoutMs);
      waits.push(slot.exited.finally(() => clearTimeout(force)));
    }
    await Promise.all(waits);
  }
}
