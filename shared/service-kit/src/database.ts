import * as path from 'node:path';
// Before postgres.js loads: guards its write to a closed connection (see the module).
import './postgres-guard';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, SQL } from 'drizzle-orm';
import { DbObserver, instrumentPglite, instrumentPostgresJs } from './db-instrument';
import { ensureEmbeddedFolder, useEmbeddedEngineFlags } from './embedded-folder';

/** The drizzle handle domain code uses, whichever driver is behind it. */
export type AppDatabase<TSchema extends Record<string, unknown> = Record<string, never>> = PgDatabase<PgQueryResultHKT, TSchema>;

export interface DatabaseOptions<TSchema extends Record<string, unknown>> {
  service: string;
  /** postgres:// URL; unset = embedded PGlite. */
  url?: string;
  /** Folder for the embedded database (DATA_DIR/<service>); `memory://` for a throwaway one. */
  embeddedDir: string;
  migrationsFolder: string;
  schema: TSchema;
  poolMax: number;
  observer: DbObserver;
}

export interface Database<TSchema extends Record<string, unknown> = Record<string, never>> {
  db: AppDatabase<TSchema>;
  kind: 'postgres' | 'embedded';
  poolMax: number;
  /** Resolves when a trivial query answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

// One lock id for every service: each service has its own database, so
// replicas of one service serialise their migrations and nothing else contends.
const MIGRATION_LOCK_ID = 727_274_001;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Seconds postgres.js waits before it opens a closed pool connection again
 * (its `backoff` option). Its default, `(0.5..1) × min(3^retries / 100, 20)`,
 * counts failed connects across the whole pool, so a database that is away
 * for a few seconds under traffic drives the wait to 10-20 s: after the
 * database is back, every query still waits that long for its connection
 * (the chaos run's db-order fault timed out every order for 20 s after
 * healing). Here the wait starts at 10-20 ms, doubles, and stops at
 * 0.25-0.5 s, so the pool is back within half a second of the database; a
 * connect attempt every half second per pool connection costs a down server
 * nothing.
 */
export function reconnectBackoff(retries: number, random: () => number = Math.random): number {
  return Math.min(0.02 * 2 ** Math.max(0, retries), RECONNECT_BACKOFF_MAX_S) * (0.5 + random() / 2);
}

/** The longest reconnectBackoff, in seconds. */
export const RECONNECT_BACKOFF_MAX_S = 0.5;

async function openPostgres<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Promise<Database<TSchema>> {
  const url = options.url!;
  // Migrations on one dedicated connection holding an advisory lock, so
  // replicas starting together do not race each other.
  const migrator = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migratePostgres(drizzlePostgres(migrator), { migrationsFolder: options.migrationsFolder });
    await migrator`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await migrator.end({ timeout: 5 });
  }
  const client = postgres(url, {
    max: options.poolMax,
    idle_timeout: 30,
    connect_timeout: 5,
    backoff: (retries: number) => reconnectBackoff(retries),
    onnotice: () => undefined,
    // Bound every statement inside the tool budget; a lock wait fails instead of hanging.
    connection: { statement_timeout: 4000, lock_timeout: 3000, application_name: `${options.service}-service` },
  });
  const db = drizzlePostgres(instrumentPostgresJs(client, options.observer), { schema: options.schema }) as unknown as AppDatabase<TSchema>;
  return {
    db,
    kind: 'postgres',
    poolMax: options.poolMax,
    ping: (timeoutMs = 2000) => withTimeout(client`select 1`.then(() => undefined), timeoutMs, 'database'),
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Settings of the embedded database. PostgreSQL's default 128 MB of shared
 * buffers live in PGlite's WebAssembly memory, which never shrinks: a service
 * reopening its data folder was 290-310 MB resident before its first request,
 * 170-180 MB with 16 MB of buffers (one process, PGlite 0.5). An embedded
 * database is one service's own data on a laptop; what does not fit in the
 * buffers is read from files the operating system caches anyway. A new
 * folder is created out of process (`ensureEmbeddedFolder`), for the same
 * reason.
 */
export const EMBEDDED_POSTGRESQL_CONF = ['shared_buffers = 16MB'];

async function openEmbedded<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Promise<Database<TSchema>> {
  const dir = options.embeddedDir.startsWith('memory://') ? undefined : path.resolve(options.embeddedDir);
  if (dir) await ensureEmbeddedFolder(dir, EMBEDDED_POSTGRESQL_CONF);
  useEmbeddedEngineFlags();
  const pg = await PGlite.create(dir, { postgresqlconf: EMBEDDED_POSTGRESQL_CONF });
  await migratePglite(drizzlePglite(pg), { migrationsFolder: options.migrationsFolder });
  const db = drizzlePglite(instrumentPglite(pg, options.observer), { schema: options.schema }) as unknown as AppDatabase<TSchema>;
  return {
    db,
    kind: 'embedded',
    poolMax: 1,
    ping: (timeoutMs = 2000) => withTimeout(pg.query('select 1').then(() => undefined), timeoutMs, 'database'),
    close: () => pg.close(),
  };
}

/**
 * Opens this service's own database and applies its drizzle migrations:
 * PostgreSQL through postgres.js when a URL is given, else embedded PGlite.
 */
export function openDatabase<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Promise<Database<TSchema>> {
  return options.url ? openPostgres(options) : openEmbedded(options);
}

/**
 * Runs one raw statement (for what the query builder cannot say in one round
 * trip, e.g. data-modifying CTEs) and returns its rows, whichever driver.
 */
export async function executeRows<Row = Record<string, unknown>>(db: { execute(query: SQL): PromiseLike<unknown> }, query: SQL): Promise<Row[]> {
  const result: unknown = await db.execute(query);
  // postgres.js returns the rows array, PGlite a result object with `rows`.
  return (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])) as Row[];
}

/** Counts rows of a table (used to decide whether to seed demo data). */
export async function countRows(db: AppDatabase<Record<string, unknown>>, table: string): Promise<number> {
  const [row] = await executeRows<{ n: number }>(db, sql.raw(`select count(*)::int as n from "${table}"`));
  return Number(row?.n ?? 0);
}
