import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { LAST_MIGRATION_SQL } from './migrations';
import { BackupError } from './manifest';

const run = promisify(execFile);

/** pg_dump / pg_restore: on PATH, else the newest /usr/lib/postgresql/<v>/bin (Debian keeps them there). */
export function pgTool(name: 'pg_dump' | 'pg_restore', binDir?: string): string {
  if (binDir) return `${binDir}/${name}`;
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => fs.existsSync(`${root}/${v}/bin/${name}`)).sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return `${root}/${versions[0]}/bin/${name}`;
  }
  return name;
}

/**
 * The URL without its password, plus the environment carrying it: the
 * password never appears on a command line (visible in `ps`) or in a message.
 */
function connection(url: string): { url: string; env: NodeJS.ProcessEnv; label: string } {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env, label: `${u.hostname}:${u.port || 5432}${u.pathname}` };
}

async function tool(binary: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  try {
    await run(binary, args, { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(0, 5).join('; ');
    throw new BackupError(`${what} failed: ${stderr}`);
  }
}

/** Last applied migration's created_at, or null when the database has no drizzle table. */
export async function pgMigrationLevel(url: string): Promise<number | null> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const [{ exists }] = await sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
    if (!exists) return null;
    const rows = await sql.unsafe(LAST_MIGRATION_SQL);
    return rows.length ? Number(rows[0].created_at) : null;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** pg_dump custom format: one consistent snapshot of the database, taken while the service runs. */
export async function pgDump(url: string, file: string, binDir?: string): Promise<void> {
  const c = connection(url);
  await tool(pgTool('pg_dump', binDir), ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${c.url}`], c.env, `pg_dump of ${c.label}`);
}

/** Tables in the database outside the system schemas (schema-qualified). */
export async function pgUserTables(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const rows = await sql`select table_schema || '.' || table_name as name from information_schema.tables
      where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg_%' order by 1`;
    return rows.map((r) => String(r.name));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Drops every user schema (public is recreated empty): what `restore --force` does before restoring. */
export async function pgDropAll(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const schemas = await sql`select nspname from pg_namespace where nspname not like 'pg_%' and nspname <> 'information_schema'`;
    for (const { nspname } of schemas) await sql.unsafe(`drop schema "${String(nspname).replace(/"/g, '""')}" cascade`);
    await sql.unsafe('create schema if not exists public');
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** pg_restore into an empty database; stops at the first error. */
export async function pgRestore(url: string, file: string, binDir?: string): Promise<void> {
  const c = connection(url);
  await tool(pgTool('pg_restore', binDir), ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${c.url}`, file], c.env, `pg_restore into ${c.label}`);
}

/** host:port/database of a URL, for messages (no credentials). */
export const pgLabel = (url: string): string => connection(url).label;
