/**
 * `npm run backup -- <service>|--all [--keep-days N [--keep-at-least M]]` and
 * `npm run restore -- <service> <file> [--force]`.
 * Each service's database comes from the variables the service reads:
 * `<SERVICE>_DATABASE_URL` (e.g. ORDER_DATABASE_URL) or DATABASE_URL, else the
 * embedded one in DATA_DIR/<service> (default ./.data). BACKUP_DIR defaults to ./backups.
 * With --keep-days (or BACKUP_KEEP_DAYS), a successful backup then deletes
 * that service's backups older than N days, keeping the newest M (default 3,
 * or BACKUP_KEEP_AT_LEAST) whatever their age.
 */
import * as path from 'node:path';
import { SERVICE_NAMES, ServiceName } from '../services';
import { backupService, restoreService } from './backup';
import { Retention, pruneBackups } from './retention';

function serviceEnv(service: ServiceName): NodeJS.ProcessEnv {
  const own = process.env[`${service.toUpperCase()}_DATABASE_URL`];
  return own ? { ...process.env, DATABASE_URL: own } : { ...process.env };
}

function asService(name: string | undefined): ServiceName {
  if (!name || !(SERVICE_NAMES as readonly string[]).includes(name)) throw new Error(`unknown service "${name ?? ''}": one of ${SERVICE_NAMES.join(', ')}`);
  return name as ServiceName;
}

/** `--name N` or the environment variable, as a whole number; undefined when neither is given. */
function count(args: string[], flag: string, env: string): number | undefined {
  const i = args.indexOf(flag);
  const raw = i >= 0 ? args[i + 1] : process.env[env];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`${i >= 0 ? flag : env} must be a whole number, got "${raw}"`);
  return Number(raw);
}

function retention(args: string[]): Retention | undefined {
  const days = count(args, '--keep-days', 'BACKUP_KEEP_DAYS');
  const keepAtLeast = count(args, '--keep-at-least', 'BACKUP_KEEP_AT_LEAST') ?? 3;
  if (days === undefined) return undefined;
  if (keepAtLeast < 1) throw new Error('--keep-at-least must be at least 1');
  return { days, keepAtLeast };
}

async function backup(args: string[]): Promise<void> {
  const keep = retention(args);
  const positional = args.filter((a, i) => !a.startsWith('--') && !['--keep-days', '--keep-at-least'].includes(args[i - 1]));
  const services = args.includes('--all') ? [...SERVICE_NAMES] : [asService(positional[0])];
  if (services.length > 1 && process.env.DATABASE_URL && services.some((s) => !process.env[`${s.toUpperCase()}_DATABASE_URL`])) {
    throw new Error('--all with one DATABASE_URL would dump the same database four times: set <SERVICE>_DATABASE_URL per service');
  }
  const backupDir = path.resolve(process.env.BACKUP_DIR ?? 'backups');
  for (const service of services) {
    const { file, manifest } = await backupService({ service, env: serviceEnv(service), backupDir, pgBinDir: process.env.PG_BIN_DIR });
    console.log(`${service}: ${file} (${manifest.kind}, migration ${manifest.migration}, ${manifest.sizeBytes} bytes, sha256 ${manifest.sha256.slice(0, 12)}…, ${manifest.durationSeconds.toFixed(2)} s)`);
    if (keep) {
      const deleted = pruneBackups(backupDir, service, keep);
      console.log(`${service}: retention ${keep.days} days (newest ${keep.keepAtLeast} always kept): deleted ${deleted.length === 0 ? 'nothing' : deleted.map((f) => path.basename(f)).join(', ')}`);
    }
  }
}

async function restore(args: string[]): Promise<void> {
  const [name, file] = args.filter((a) => !a.startsWith('--'));
  const service = asService(name);
  if (!file) throw new Error('usage: npm run restore -- <service> <backup file> [--force]');
  const { manifest, durationSeconds } = await restoreService({
    service,
    file: path.resolve(file),
    env: serviceEnv(service),
    force: args.includes('--force'),
    onDrop: (what) => console.log(`--force: ${what}`),
    pgBinDir: process.env.PG_BIN_DIR,
  });
  console.log(`${service}: restored ${manifest.file} (taken ${manifest.createdAt}, migration ${manifest.migration}) in ${durationSeconds.toFixed(2)} s; start the service: it recovers in-flight orders`);
}

const [command, ...rest] = process.argv.slice(2);
(command === 'restore' ? restore(rest) : backup(rest)).catch((err: Error) => {
  console.error(`${command ?? 'backup'}: ${err.message}`);
  process.exitCode = 1;
});
