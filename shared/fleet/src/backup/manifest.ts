import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

/** What `npm run backup` writes next to every backup file (`<file>.manifest.json`). */
export interface BackupManifest {
  service: string;
  /** `postgres` (pg_dump custom format) or `embedded` (PGlite data-directory tarball). */
  kind: 'postgres' | 'embedded';
  /** Tag of the last applied drizzle migration (e.g. `0000_init`); restore needs code at this level or later. */
  migration: string;
  /** ISO time the dump started: the recovery point. */
  createdAt: string;
  /** Backup file name (same folder as the manifest). */
  file: string;
  sizeBytes: number;
  sha256: string;
  /** Seconds the dump took. */
  durationSeconds: number;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export const manifestPath = (file: string): string => `${file}.manifest.json`;

/** sha256 of a file, read in 1 MiB chunks (a dump can outgrow the memory of a backup job). */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Reads the manifest of `file` and checks it belongs to `service` and matches the file's size and checksum. */
export function verifyBackup(file: string, service: string): BackupManifest {
  if (!fs.existsSync(file)) throw new BackupError(`no backup file at ${file}`);
  const mpath = manifestPath(file);
  if (!fs.existsSync(mpath)) throw new BackupError(`no manifest at ${mpath}: refusing a backup that cannot be verified`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(mpath, 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(`manifest ${mpath} is not valid JSON`);
  }
  if (manifest.service !== service) throw new BackupError(`backup ${file} is of service "${manifest.service}", not "${service}": refusing to restore it`);
  const actual = sha256File(file);
  if (actual !== manifest.sha256) throw new BackupError(`checksum mismatch for ${file}: manifest says ${manifest.sha256}, file is ${actual}: refusing a corrupted backup`);
  return manifest;
}
