import { and, eq, gte, inArray, lt, or, sql, SQL } from 'drizzle-orm';
import type { Logger } from '@fedmcp/instrumentation';
import type { AppDatabase } from '../database';
import { CursorCodec, keysetPage } from '../pagination';
import { AuditEventRow, auditEvents } from './audit.schema';
import { AuditBuffer } from './audit-buffer';
import { AuditPrincipal, AuditedCall } from './audit-call';

/** An audit event as list_audit_events returns it (SPEC "Audit trail"). */
export interface AuditEvent {
  event_id: string;
  at: string;
  tool: string;
  outcome: string;
  principal: { sub: string; client_id: string };
  on_behalf_of: { sub: string; client_id: string } | null;
  trace_id: string | null;
  duration_ms: number;
  resource_ids: string[];
}

export interface AuditFilter {
  tool?: string;
  /** Matches the principal's `sub` or its `client_id`. */
  principal?: string;
  /** ISO time: events at or after it. */
  since?: string;
  limit: number;
  cursor?: string;
}

/** Rows deleted per pruning statement, so one run never holds many row locks at once. */
export const AUDIT_PRUNE_BATCH_ROWS = 1000;
/** How often the retention job runs (and once shortly after start). */
export const AUDIT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PRUNE_DELAY_MS = 5000;

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    event_id: row.id,
    at: row.at.toISOString(),
    tool: row.tool,
    outcome: row.outcome,
    principal: { sub: row.principalSub, client_id: row.principalClientId },
    on_behalf_of: row.onBehalfOfSub !== null && row.onBehalfOfClientId !== null ? { sub: row.onBehalfOfSub, client_id: row.onBehalfOfClientId } : null,
    trace_id: row.traceId,
    duration_ms: row.durationMs,
    resource_ids: row.resourceIds,
  };
}

/**
 * A service's audit trail: starts the audited side of each tool call, lists
 * events newest first, and prunes rows past retention. The table refuses
 * UPDATE and DELETE by trigger; the only way out is `prune`, which sets
 * `fedmcp.audit_prune_before` for its own transaction, and the trigger lets
 * it delete only rows older than that and never rows of the last day.
 */
export class AuditTrail {
  private readonly cursors = new CursorCodec('audit:list');
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly db: AppDatabase<any>,
    readonly buffer: AuditBuffer,
    private readonly logger: Logger,
  ) {}

  begin(tool: string, principal: AuditPrincipal, traceId: string | undefined): AuditedCall {
    // Only sub and client_id are kept (never the scopes or anything else the principal carries).
    return new AuditedCall(this.db, this.buffer, tool, { sub: principal.sub, client_id: principal.client_id }, traceId);
  }

  /** Newest first. Flushes this replica's pending rows first, so a caller sees its own earlier calls. */
  async list(filter: AuditFilter): Promise<{ items: AuditEvent[]; next_cursor: string | null }> {
    await this.buffer.flush();
    const filters: (SQL | undefined)[] = [
      filter.tool ? eq(auditEvents.tool, filter.tool) : undefined,
      filter.principal ? or(eq(auditEvents.principalSub, filter.principal), eq(auditEvents.principalClientId, filter.principal)) : undefined,
      filter.since ? gte(auditEvents.at, new Date(filter.since)) : undefined,
    ];
    return keysetPage(this.db, auditEvents, filters, filter, this.cursors, toEvent, 'desc');
  }

  /** Deletes events older than `retentionDays` (0 keeps everything); returns how many went. */
  async prune(retentionDays: number): Promise<number> {
    if (retentionDays <= 0) return 0;
    let total = 0;
    for (;;) {
      const deleted = await this.db.transaction(async (tx) => {
        // The database's clock decides the cutoff; the trigger checks rows against the same value.
        await tx.execute(sql`select set_config('fedmcp.audit_prune_before', (now() - make_interval(days => ${retentionDays}))::text, true)`);
        const cutoff = sql`current_setting('fedmcp.audit_prune_before')::timestamptz`;
        const oldest = tx.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.at, cutoff)).limit(AUDIT_PRUNE_BATCH_ROWS);
        return tx.delete(auditEvents).where(and(inArray(auditEvents.id, oldest), lt(auditEvents.at, cutoff))).returning({ id: auditEvents.id });
      });
      total += deleted.length;
      if (deleted.length < AUDIT_PRUNE_BATCH_ROWS) return total;
    }
  }

  /** Runs `prune` shortly after start and then every AUDIT_PRUNE_INTERVAL_MS. */
  startRetention(retentionDays: number): void {
    if (retentionDays <= 0 || this.pruneTimer) return;
    const run = () => {
      this.prune(retentionDays).then(
        (n) => n > 0 && this.logger.info('pruned audit events past retention', { rows: n, retention_days: retentionDays }),
        (error) => this.logger.warn('audit retention pruning failed; will retry', { code: String((error as { code?: unknown }).code ?? 'unknown') }),
      );
      this.pruneTimer = setTimeout(run, AUDIT_PRUNE_INTERVAL_MS).unref();
    };
    this.pruneTimer = setTimeout(run, FIRST_PRUNE_DELAY_MS).unref();
  }

  /** Stops the retention job and writes what is still buffered. */
  async close(): Promise<void> {
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.buffer.close();
  }
}
