import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { LAST_MIGRATION_SQL } from './migrations';
import { BackupError } from './manifest';

export const isEmptyDir = (dir: string): boolean => !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;

/**
 * PGlite's own dump (`dumpDataDir`, a gzipped tarball of the data directory).
 * PGlite is one process's database: the service must be stopped (the dump is
 * then exactly its last committed state); opening it here while the service
 * runs would be two writers on one directory.
 */
export async function embeddedDump(dir: string, file: string): Promise<number | null> {
  if (isEmptyDir(dir)) throw new BackupError(`no embedded database at ${dir}`);
  const pg = await PGlite.create(dir);
  try {
    const level = await pg
      .query<{ created_at: string }>(LAST_MIGRATION_SQL)
      .then((r) => (r.rows.length ? Number(r.rows[0].created_at) : null))
      .catch(() => null);
    const blob = await pg.dumpDataDir('gzip');
    fs.writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
    return level;
  } finally {
    await pg.close();
  }
}

/** Unpacks a dump into `dir` (which must be empty) through PGlite's `loadDataDir`. */
export async function embeddedRestore(dir: string, file: string): Promise<void> {
  fs.mkdirSync(path.resolve(dir), { recursive: true });
  const pg = await PGlite.create(path.resolve(dir), { loadDataDir: new Blob([fs.readFileSync(file)]) });
  try {
    await pg.query('select 1');
  } finally {
    await pg.close();
  }
}
