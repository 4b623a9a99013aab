import postgres from 'postgres';
import { randomBytes } from 'node:crypto';

/**
 * Test infrastructure comes from the environment set by `npm test`
 * (run-tests.ts): TEST_PG_URL / TEST_REDIS_URL when PostgreSQL / Redis
 * answer, unset when the run falls back to embedded PGlite and in-process cache.
 */
export const testPgUrl = (): string | undefined => process.env.TEST_PG_URL || undefined;
export const testRedisUrl = (): string | undefined => process.env.TEST_REDIS_URL || undefined;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const created: string[] = [];

/** A fresh, empty PostgreSQL database for one test file (undefined when PostgreSQL is not in use). */
export async function createTestDatabase(service: string): Promise<string | undefined> {
  const admin = testPgUrl();
  if (!admin) return undefined;
  const name = `test_${service}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
  created.push(name);
  return withDatabase(admin, name);
}

/** Drops the databases this process created (call from afterAll). */
export async function dropTestDatabases(): Promise<void> {
  const admin = testPgUrl();
  if (!admin || created.length === 0) return;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  try {
    for (const name of created.splice(0)) await sql.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await sql.end();
  }
}

/**
 * Drops one database this process created, by its URL (a service's own, when
 * it stops before the others of the same test file); no-op for other URLs.
 */
export async function dropTestDatabase(url: string | undefined): Promise<void> {
  const admin = testPgUrl();
  if (!admin || !url) return;
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const index = created.indexOf(name);
  if (index < 0) return;
  created.splice(index, 1);
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await sql.end();
  }
}

/** pg_terminate_backend of every connection to `database` (what a database crash does to its clients); returns how many. */
export async function terminateConnections(database: string): Promise<number> {
  const admin = testPgUrl();
  if (!admin) return 0;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
    return rows.length;
  } finally {
    await sql.end();
  }
}

/**
 * Environment for a service under test: its own database (PostgreSQL or a
 * throwaway embedded one), Redis when available, an ephemeral port, quiet logs.
 */
export async function serviceTestEnv(service: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const databaseUrl = await createTestDatabase(service);
  const redisUrl = testRedisUrl();
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: 'memory://' }),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...extra,
  };
}
