import { newId } from '../ids';
import type { AppDatabase } from '../database';
import type { AuditEventRow } from './audit.schema';
import { insertAuditRows } from './audit-insert';
import type { AuditBuffer } from './audit-buffer';

/** Who made a call: the token's subject and client (open mode: `anonymous` and the client address). */
export interface AuditPrincipal {
  sub: string;
  client_id: string;
}

/** Records ids (`ord_…`, `pay_…`) a call read, created or changed, for its audit event. */
export type Touch = (...ids: string[]) => void;

/**
 * Runs `work` in one database transaction that also appends the call's audit
 * event before it commits: an acknowledged change always has its row, a
 * rolled-back one has none (the call's failure is recorded afterwards).
 * Inside `work`, use only `tx` (PGlite has one connection: a query on the
 * outer handle would wait for this transaction forever).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Transact = <T>(work: (tx: AppDatabase<any>, touch: Touch) => Promise<T>) => Promise<T>;

/** Most ids kept on one event (a page holds at most 100). */
export const MAX_RESOURCE_IDS = 200;
/** What an id looks like (`ord_01h…`): anything else is never stored. */
const RESOURCE_ID = /^[a-z]{2,8}_[a-z0-9]{1,64}$/;

/** Longest principal field kept; tokens and `_meta` come from outside. */
const MAX_PARTY_FIELD = 256;
/** PostgreSQL text refuses NUL: a hostile sub or client_id must not make its own audit row unwritable. */
const party = (p: AuditPrincipal): AuditPrincipal => ({ sub: clean(p.sub), client_id: clean(p.client_id) });
const clean = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, '\ufffd').slice(0, MAX_PARTY_FIELD);

/** A plain transaction for callers outside a tool call (seeds, tests): no audit event. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function plainTransaction(db: AppDatabase<any>): Transact {
  return (work) => db.transaction((tx) => work(tx, () => undefined));
}

/**
 * The audit side of one tools/call. Its event goes either into the call's own
 * transaction (`transaction`, for calls that change data) or, for calls that
 * change nothing, into the batch buffer when the call ends (`finish`).
 */
export class AuditedCall {
  private readonly at = new Date();
  /** One id per call: if a commit's outcome was unknown, the batch row and the committed one collide and the first stays. */
  private readonly eventId = newId('evt', this.at.getTime());
  private readonly started = process.hrtime.bigint();
  private readonly ids = new Set<string>();
  private committed = false;
  private actingFor: AuditPrincipal | null = null;

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly db: AppDatabase<any>,
    private readonly buffer: AuditBuffer,
    private readonly tool: string,
    private readonly principal: AuditPrincipal,
    private readonly traceId: string | undefined,
  ) {
    this.principal = party(principal);
  }

  /** From `params._meta["io.fedmcp/on_behalf_of"]` when a service calls on a user's behalf. */
  set onBehalfOf(value: AuditPrincipal | null) {
    this.actingFor = value && party(value);
  }

  readonly touch: Touch = (...ids) => {
    for (const id of ids) if (this.ids.size < MAX_RESOURCE_IDS && RESOURCE_ID.test(id)) this.ids.add(id);
  };

  /** The ids among the call's own arguments (top-level `…_id` fields). */
  touchArguments(input: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(input)) if (key.endsWith('_id') && typeof value === 'string') this.touch(value);
  }

  readonly transaction: Transact = async (work) => {
    if (this.committed) throw new Error(`tool ${this.tool} ran a second audited transaction; one call records one change`);
    const before = [...this.ids];
    let audited: Promise<void> | undefined;
    try {
      const result = await this.db.transaction(async (tx) => {
        const value = await work(tx, this.touch);
        // Not awaited here: the COMMIT is sent right behind the row, one round trip for
        // both. A refused row aborts the transaction, so that COMMIT rolls back, and
        // `audited` rejects just below: the call fails and nothing of it was kept.
        audited = insertAuditRows(tx, [this.row('ok')]);
        audited.catch(() => undefined);
        return value;
      });
      await audited;
      this.committed = true;
      return result;
    } catch (error) {
      // Ids of records that were rolled back never existed: the outcome row does not name them.
      this.ids.clear();
      for (const id of before) this.ids.add(id);
      throw error;
    }
  };

  /** Records how the call ended, unless its change (and event) already committed. */
  finish(outcome: string): void {
    if (!this.committed) this.buffer.append(this.row(outcome));
  }

  private row(outcome: string): AuditEventRow {
    return {
      id: this.eventId,
      at: this.at,
      tool: this.tool,
      outcome,
      principalSub: this.principal.sub,
      principalClientId: this.principal.client_id,
      onBehalfOfSub: this.actingFor?.sub ?? null,
      onBehalfOfClientId: this.actingFor?.client_id ?? null,
      traceId: this.traceId ?? null,
      durationMs: Math.round(Number(process.hrtime.bigint() - this.started) / 1e6),
      resourceIds: [...this.ids],
    };
  }
}
