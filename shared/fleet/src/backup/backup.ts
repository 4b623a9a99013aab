import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseConfigSchema, parseConfig } from '@fedmcp/service-kit';
import { FLEET, ServiceName, repoRoot } from '../services';
import { BackupError, BackupManifest, manifestPath, sha256File, verifyBackup } from './manifest';
import { migrationTag } from './migrations';
import { pgDropAll, pgDump, pgLabel, pgMigrationLevel, pgRestore, pgUserTables } from './postgres';
import { embeddedDump, embeddedRestore, isEmptyDir } from './embedded';

/** Where a service's database lives: read from the same variables the service reads. */
export type DatabaseLocation = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string };

/** The service's database from its environment (DATABASE_URL, else DATA_DIR/<service>, as the service kit does). */
export function databaseLocation(service: ServiceName, env: NodeJS.ProcessEnv): DatabaseLocation {
  const config = parseConfig(baseConfigSchema, env);
  if (config.DATABASE_URL) return { kind: 'postgres', url: config.DATABASE_URL };
  if (config.DATA_DIR === 'memory://') throw new BackupError(`${service} runs on an in-memory database (DATA_DIR=memory://): nothing to back up`);
  return { kind: 'embedded', dir: path.resolve(config.DATA_DIR, service) };
}

function migrationsFolder(service: ServiceName): string {
  const svc = FLEET.find((s) => s.name === service)!;
  return path.join(repoRoot(), svc.packageDir, 'drizzle');
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export interface BackupOptions {
  service: ServiceName;
  env: NodeJS.ProcessEnv;
  backupDir: string;
  /** Folder of pg_dump/pg_restore when not found automatically. */
  pgBinDir?: string;
}

/** Writes one logical backup of the service's database and its manifest; returns the manifest and the file. */
export async function backupService(options: BackupOptions): Promise<{ file: string; manifest: BackupManifest }> {
  const location = databaseLocation(options.service, options.env);
  fs.mkdirSync(options.backupDir, { recursive: true });
  const started = new Date();
  const ext = location.kind === 'postgres' ? 'pgdump' : 'tar.gz';
  const file = path.resolve(options.backupDir, `${options.service}-${stamp(started)}.${ext}`);
  let level: number | null;
  if (location.kind === 'postgres') {
    level = await pgMigrationLevel(location.url);
    await pgDump(location.url, file, options.pgBinDir);
  } else {
    level = await embeddedDump(location.dir, file);
  }
  const manifest: BackupManifest = {
    service: options.service,
    kind: location.kind,
    migration: migrationTag(migrationsFolder(options.service), level),
    createdAt: started.toISOString(),
    file: path.basename(file),
    sizeBytes: fs.statSync(file).size,
    sha256: sha256File(file),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
  };
  fs.writeFileSync(manifestPath(file), JSON.stringify(manifest, null, 2) + '\n');
  return { file, manifest };
}

export interface RestoreOptions {
  service: ServiceName;
  file: string;
  env: NodeJS.ProcessEnv;
  /** Drop what the target holds first (the caller is told what through `onDrop`). */
  force?: boolean;
  onDrop?: (what: string) => void;
  pgBinDir?: string;
}

/**
 * Verifies the backup (manifest, service, checksum) and restores it into the
 * service's database, which must be empty unless `force`. Run it with the
 * service stopped; on start the service applies newer migrations and its
 * recovery finishes or compensates the sagas that were in flight.
 */
export async function restoreService(options: RestoreOptions): Promise<{ manifest: BackupManifest; durationSeconds: number }> {
  const started = Date.now();
  const manifest = verifyBackup(options.file, options.service);
  const location = databaseLocation(options.service, options.env);
  if (manifest.kind !== location.kind) throw new BackupError(`backup ${options.file} is a ${manifest.kind} backup but ${options.service} is configured for a ${location.kind} database`);
  if (location.kind === 'postgres') {
    const tables = await pgUserTables(location.url);
    if (tables.length > 0) {
      const what = `${tables.length} table(s) in ${pgLabel(location.url)}: ${tables.join(', ')}`;
      if (!options.force) throw new BackupError(`target database is not empty (${what}): refusing to restore over it; pass --force to drop them first`);
      options.onDrop?.(`dropping ${what}`);
      await pgDropAll(location.url);
    }
    await pgRestore(location.url, options.file, options.pgBinDir);
  } else {
    if (!isEmptyDir(location.dir)) {
      const what = `embedded database folder ${location.dir}`;
      if (!options.force) throw new BackupError(`target ${what} is not empty: refusing to restore over it; pass --force to delete it first`);
      options.onDrop?.(`deleting ${what}`);
      fs.rmSync(location.dir, { recursive: true, force: true });
    }
    await embeddedRestore(location.dir, options.file);
  }
  return { manifest, durationSeconds: (Date.now() - started) / 1000 };
}
