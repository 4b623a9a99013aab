/**
 * Backup retention (the Kubernetes CronJobs run `backup <service> --keep-days N`):
 * old backups of the service go with their manifests, the newest few always
 * stay, other services' files and unrelated files are never touched. And the
 * command itself: a backup of an embedded database followed by pruning.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createTestDatabase, dropTestDatabases } from '@fedmcp/testing';
import { listBackups, pruneBackups } from '../src/backup/retention';
import { repoPath } from './repo';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => dropTestDatabases());

const now = new Date('2026-12-20T03:00:00Z');
/** A backup file and its manifest taken `daysAgo` days before `now`. */
function backupAt(service: string, daysAgo: number, ext = 'pgdump'): string {
  const stamp = new Date(now.getTime() - daysAgo * 86_400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `${service}-${stamp}.${ext}`);
  fs.writeFileSync(file, 'dump');
  fs.writeFileSync(`${file}.manifest.json`, '{}');
  return path.basename(file);
}
const files = () => fs.readdirSync(dir).sort();

it('deletes backups older than the retention with their manifests, keeps the rest', () => {
  const kept = [0, 1, 6.9].map((d) => backupAt('order', d));
  const old = [7.1, 10, 30].map((d) => backupAt('order', d));
  const deleted = pruneBackups(dir, 'order', { days: 7, keepAtLeast: 1 }, now).map((f) => path.basename(f));
  expect(deleted.sort()).toEqual(old.flatMap((f) => [f, `${f}.manifest.json`]).sort());
  expect(files()).toEqual(kept.flatMap((f) => [f, `${f}.manifest.json`]).sort());
});

it('always keeps the newest ones, however old (a schedule that stopped never empties the volume)', () => {
  const all = [20, 21, 22, 23].map((d) => backupAt('product', d, 'tar.gz'));
  pruneBackups(dir, 'product', { days: 7, keepAtLeast: 2 }, now);
  expect(files()).toEqual(all.slice(0, 2).flatMap((f) => [f, `${f}.manifest.json`]).sort());
});

it("touches neither another service's backups nor unrelated files", () => {
  const other = backupAt('orders', 30);
  const payment = backupAt('payment', 30);
  fs.writeFileSync(path.join(dir, 'order-notes.txt'), 'keep me');
  backupAt('order', 0);
  backupAt('order', 30);
  pruneBackups(dir, 'order', { days: 7, keepAtLeast: 1 }, now);
  expect(files()).toEqual(expect.arrayContaining([other, payment, 'order-notes.txt']));
  expect(listBackups(dir, 'order')).toHaveLength(1);
});

it('refuses a retention that would keep nothing', () => {
  expect(() => pruneBackups(dir, 'order', { days: 7, keepAtLeast: 0 }, now)).toThrow(/keepAtLeast ≥ 1/);
});

it('npm run backup -- <service> --keep-days N backs up, then prunes that service', async () => {
  // What the CronJob runs: pg_dump of the service's PostgreSQL database (embedded PGlite when the run has no PostgreSQL).
  const url = await createTestDatabase('retention');
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-data-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, BACKUP_DIR: dir, ...(url ? { DATABASE_URL: url } : { DATA_DIR: data }) };
  if (!url) await (await PGlite.create(path.join(data, 'customer'))).close();
  const old = backupAt('customer', 400, url ? 'pgdump' : 'tar.gz');
  try {
    const run = spawnSync(process.execPath, [repoPath('shared/fleet/dist/backup/main.js'), 'backup', 'customer', '--keep-days', '30', '--keep-at-least', '1'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`customer: retention 30 days (newest 1 always kept): deleted ${old}, ${old}.manifest.json`);
    const left = listBackups(dir, 'customer');
    expect(left).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(`${left[0].file}.manifest.json`, 'utf8'))).toMatchObject({ service: 'customer', kind: url ? 'postgres' : 'embedded' });
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}, 150_000);

it('refuses a retention that is not a whole number, before backing anything up', () => {
  const run = spawnSync(process.execPath, [repoPath('shared/fleet/dist/backup/main.js'), 'backup', 'customer', '--keep-days', 'seven'], { encoding: 'utf8', env: { PATH: process.env.PATH, BACKUP_DIR: dir } });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('--keep-days must be a whole number, got "seven"');
  expect(files()).toEqual([]);
});
