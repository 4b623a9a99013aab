import * as fs from 'node:fs';
import * as path from 'node:path';

interface Journal {
  entries: { when: number; tag: string }[];
}

/**
 * Maps drizzle's `created_at` of the last applied migration (a row of
 * drizzle.__drizzle_migrations) to its tag from the service's journal.
 */
export function migrationTag(migrationsFolder: string, createdAt: number | string | null | undefined): string {
  if (createdAt === null || createdAt === undefined) return 'none';
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as Journal;
  const entry = journal.entries.find((e) => e.when === Number(createdAt));
  return entry?.tag ?? `unknown (created_at ${createdAt})`;
}

export const LAST_MIGRATION_SQL = 'select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1';
