import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, asc, desc, gt, lt, SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { validationError } from './errors';
import type { AppDatabase } from './database';

/**
 * Opaque cursors: a base64url JSON payload plus a short HMAC, so a cursor we
 * did not issue (or one from another list) is rejected as VALIDATION_ERROR.
 * The key only needs to be shared by replicas of one service, not secret.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(scope: string, secret = 'fedmcp-cursor-v1') {
    this.key = createHmac('sha256', secret).update(scope).digest();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 16);
  }

  encode(payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode<T extends Record<string, unknown>>(cursor: string | undefined): T | undefined {
    if (cursor === undefined) return undefined;
    const [body, sig] = cursor.split('.');
    const invalid = () => validationError('cursor is not one this server issued; pass next_cursor from the previous page unchanged, or omit it to start from the first page', { path: 'cursor' });
    if (!body || !sig) throw invalid();
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    } catch {
      throw invalid();
    }
  }
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says there
 * is more; the cursor points after the last row returned.
 */
export function toPage<Row, Item>(rows: Row[], limit: number, map: (row: Row) => Item, keyOf: (row: Row) => Record<string, unknown>, codec: CursorCodec) {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  return {
    items: slice.map(map),
    next_cursor: more ? codec.encode(keyOf(slice[slice.length - 1])) : null,
  };
}

/**
 * One page of `table`, keyset-paginated by its sortable unique `id` column:
 * rows matching `filters` after the cursor's id, oldest first (`order`
 * `desc`: newest first), `limit` of them plus one to know whether more follow.
 */
export async function keysetPage<T extends PgTable & { id: PgColumn }, Item>(
  db: AppDatabase<Record<string, unknown>>,
  table: T,
  filters: (SQL | undefined)[],
  input: { limit: number; cursor?: string },
  codec: CursorCodec,
  map: (row: T['$inferSelect']) => Item,
  order: 'asc' | 'desc' = 'asc',
): Promise<{ items: Item[]; next_cursor: string | null }> {
  const after = codec.decode<{ id: string }>(input.cursor);
  const newestFirst = order === 'desc';
  const rows = (await db
    .select()
    .from(table as PgTable)
    .where(and(...filters, after ? (newestFirst ? lt : gt)(table.id, after.id) : undefined))
    .orderBy(newestFirst ? desc(table.id) : asc(table.id))
    .limit(input.limit + 1)) as T['$inferSelect'][];
  return toPage(rows, input.limit, map, (row) => ({ id: (row as { id: string }).id }), codec);
}
