import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifestPath } from './manifest';

/** How long backups are kept: every backup younger than `days`, and the newest `keepAtLeast` whatever their age. */
export interface Retention {
  days: number;
  keepAtLeast: number;
}

/** Backups of `service` in `dir`, newest first: `<service>-<YYYYMMDDTHHMMSSZ>.pgdump|tar.gz`, as `npm run backup` names them. */
export function listBackups(dir: string, service: string): { file: string; takenAt: Date }[] {
  if (!fs.existsSync(dir)) return [];
  const name = new RegExp(`^${service}-(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})Z\\.(pgdump|tar\\.gz)$`);
  return fs
    .readdirSync(dir)
    .map((f) => ({ f, m: name.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => ({ file: path.join(dir, f), takenAt: new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) }))
    .sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
}

/**
 * Deletes the backups of `service` (file and manifest) older than the
 * retention, keeping the newest `keepAtLeast` regardless of age, so a
 * schedule that stopped for a while never leaves the volume empty. Run after
 * a successful backup only: a failing dump never deletes the older ones.
 * Returns the deleted files.
 */
export function pruneBackups(dir: string, service: string, retention: Retention, now: Date = new Date()): string[] {
  if (!(retention.days >= 0) || !(retention.keepAtLeast >= 1)) throw new Error(`retention needs days ≥ 0 and keepAtLeast ≥ 1 (got ${retention.days} days, ${retention.keepAtLeast})`);
  const cutoff = now.getTime() - retention.days * 86_400_000;
  const deleted: string[] = [];
  for (const { file, takenAt } of listBackups(dir, service).slice(retention.keepAtLeast)) {
    if (takenAt.getTime() >= cutoff) continue;
    for (const f of [file, manifestPath(file)]) {
      if (fs.existsSync(f)) {
        fs.rmSync(f);
        deleted.push(f);
      }
    }
  }
  return deleted;
}
