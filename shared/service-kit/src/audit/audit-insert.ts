import { getTableColumns, sql } from 'drizzle-orm';
import type { AppDatabase } from '../database';
import { AuditEventRow, auditEvents } from './audit.schema';

/** Property name → column name of the audit table (`principalSub` → `principal_sub`). */
const COLUMN_NAMES = Object.entries(getTableColumns(auditEvents)).map(([key, column]) => [key, column.name] as const);

function rowsJson(rows: AuditEventRow[]): string {
  return JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, name] of COLUMN_NAMES) out[name] = row[key as keyof AuditEventRow];
      return out;
    }),
  );
}

/**
 * Inserts audit rows sent as one JSON parameter, keyed by column name, for
 * `json_populate_recordset`. Building the same insert with drizzle's
 * `values()` (11 parameters a row) was the largest drizzle cost of a cached
 * read: ~6% of the product service's CPU in `get_product` at 32 clients.
 * `ignoreConflicts`: a row already written (a retried batch whose first
 * attempt committed after all) is skipped instead of failing the statement.
 */
export async function insertAuditRows(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Pick<AppDatabase<any>, 'execute'>,
  rows: AuditEventRow[],
  options: { ignoreConflicts?: boolean } = {},
): Promise<void> {
  const onConflict = options.ignoreConflicts ? sql` on conflict do nothing` : sql``;
  await db.execute(sql`insert into ${auditEvents} select * from json_populate_recordset(null::${auditEvents}, ${rowsJson(rows)}::json)${onConflict}`);
}
