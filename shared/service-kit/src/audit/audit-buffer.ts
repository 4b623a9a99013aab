import { ROOT_CONTEXT, context, type Logger } from '@fedmcp/instrumentation';
import type { AppDatabase } from '../database';
import type { AuditEventRow } from './audit.schema';
import { insertAuditRows } from './audit-insert';

/** Most rows held in memory waiting for their batch; past it new rows are dropped and counted. */
export const AUDIT_BUFFER_MAX_ROWS = 10_000;
/** Rows per INSERT statement. */
export const AUDIT_BATCH_ROWS = 500;
/** How long a row waits for its batch (SPEC: written within 1 s). */
export const AUDIT_FLUSH_DELAY_MS = 250;
/** Wait before trying again after a failed batch (database away). */
export const AUDIT_RETRY_DELAY_MS = 1000;

export interface AuditBufferDeps {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: AppDatabase<any>;
  logger: Logger;
  /** Rows lost because the buffer was full or the service stopped with the database away. */
  dropped(count: number): void;
  /** Rows currently waiting (for a gauge). */
  size(rows: number): void;
  /** The bound; AUDIT_BUFFER_MAX_ROWS unless a test wants a small one. */
  maxRows?: number;
}

/**
 * Audit rows of calls that changed nothing (reads, failures), written in
 * batches shortly after the call so the read path never waits on the
 * database for its audit row. Bounded: at most AUDIT_BUFFER_MAX_ROWS wait in
 * memory. A crash loses at most the last AUDIT_FLUSH_DELAY_MS of them (longer
 * only while the database is unreachable); rows of changes never come here,
 * they are written in the change's own transaction.
 */
export class AuditBuffer {
  private rows: AuditEventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  private readonly maxRows: number;

  constructor(private readonly deps: AuditBufferDeps) {
    this.maxRows = deps.maxRows ?? AUDIT_BUFFER_MAX_ROWS;
  }

  append(row: AuditEventRow): void {
    if (this.closed || this.rows.length >= this.maxRows) {
      this.deps.dropped(1);
      return;
    }
    this.rows.push(row);
    this.deps.size(this.rows.length);
    this.schedule(AUDIT_FLUSH_DELAY_MS);
  }

  /** Rows waiting for their batch. */
  get pending(): number {
    return this.rows.length;
  }

  /** Writes what is buffered now. Never throws: on failure the rows stay for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Final flush at shutdown; rows that still cannot be written are counted as dropped. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    if (this.rows.length) {
      this.deps.logger.warn('audit rows lost at shutdown: the database did not take them', { rows: this.rows.length });
      this.deps.dropped(this.rows.length);
      this.rows = [];
    }
  }

  private schedule(delay: number): void {
    if (this.timer || this.closed) return;
    // A batch belongs to no one call: outside the trace of the call that happened to start the timer.
    this.timer = context.with(ROOT_CONTEXT, () =>
      setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, delay),
    );
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (this.rows.length) {
      const batch = this.rows.slice(0, AUDIT_BATCH_ROWS);
      try {
        // A retried batch whose first attempt committed after all must not fail on its own rows.
        await insertAuditRows(this.deps.db, batch, { ignoreConflicts: true });
      } catch (error) {
        const code = String((error as { cause?: { code?: unknown }; code?: unknown }).cause?.code ?? (error as { code?: unknown }).code ?? '');
        if (/^2[23]/.test(code)) {
          // The rows themselves are refused (data or constraint error): retrying cannot help, and they must not block the rest.
          this.deps.logger.warn('audit rows refused by the database; dropped', { rows: batch.length, code });
          this.deps.dropped(batch.length);
          this.rows.splice(0, batch.length);
          this.deps.size(this.rows.length);
          continue;
        }
        if (!this.failing) this.deps.logger.warn('audit rows could not be written; will retry', { rows: this.rows.length, code: code || 'unknown' });
        this.failing = true;
        this.schedule(AUDIT_RETRY_DELAY_MS);
        return;
      }
      if (this.failing) this.deps.logger.info('audit rows written again after a failure');
      this.failing = false;
      this.rows.splice(0, batch.length);
      this.deps.size(this.rows.length);
    }
  }
}
