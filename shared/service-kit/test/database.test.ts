import * as path from 'node:path';
import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { TcpProxy, createTestDatabase, dropTestDatabases, testPgUrl } from '@fedmcp/testing';
import { Database, countRows, isUniqueViolation, likePattern, openDatabase } from '../src';

const widgets = pgTable('widgets', { id: text('id').primaryKey(), label: text('label').notNull() });
const schema = { widgets };

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

/** Real PostgreSQL when the run has one (CI always does), else embedded PGlite. */
describe(`database (${testPgUrl() ? 'PostgreSQL' : 'embedded PGlite'})`, () => {
  let database: Database<typeof schema>;
  let proxy: TcpProxy | undefined;
  const queries: string[] = [];
  let connections = 0;
  let maxConnections = 0;

  beforeAll(async () => {
    let url = await createTestDatabase('kit');
    if (url) {
      proxy = await TcpProxy.forUrl(url).start();
      url = proxy.rewrite(url);
    }
    database = await openDatabase({
      service: 'kit',
      url,
      embeddedDir: 'memory://',
      migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'),
      schema,
      poolMax: 3,
      observer: {
        query: (operation) => void queries.push(operation),
        connections: (delta) => {
          connections += delta;
          maxConnections = Math.max(maxConnections, connections);
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await proxy?.close();
    await dropTestDatabases();
  });

  it('applies the migrations and answers ping', async () => {
    expect(database.kind).toBe(testPgUrl() ? 'postgres' : 'embedded');
    await expect(database.ping()).resolves.toBeUndefined();
    expect(await countRows(database.db as never, 'widgets')).toBe(0);
  });

  it('reports each query to the observer and gives connections back', async () => {
    queries.length = 0;
    await database.db.insert(widgets).values({ id: 'w1', label: 'First' });
    await database.db.select().from(widgets);
    expect(queries).toEqual(['INSERT', 'SELECT']);
    expect(maxConnections).toBeGreaterThan(0);
    expect(connections).toBe(0);
  });

  it('observes queries inside a transaction and gives the connection back', async () => {
    queries.length = 0;
    await database.db.transaction(async (tx) => {
      await tx.insert(widgets).values({ id: 'w2', label: 'Second' });
      await tx.select().from(widgets);
    });
    expect(queries).toEqual(expect.arrayContaining(['INSERT', 'SELECT']));
    expect(connections).toBe(0);
    expect(await countRows(database.db as never, 'widgets')).toBe(2);
  });

  it('isUniqueViolation recognises the driver error of a duplicate key', async () => {
    const error = await database.db
      .insert(widgets)
      .values({ id: 'w3', label: 'FIRST' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeDefined();
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('likePattern matches %, _ and \\ literally', async () => {
    await database.db.insert(widgets).values([
      { id: 'p1', label: '100% cotton' },
      { id: 'p2', label: '100 cotton' },
      { id: 'p3', label: 'a_b' },
      { id: 'p4', label: 'axb' },
      { id: 'p5', label: 'back\\slash' },
    ]);
    const match = async (query: string) =>
      rowsOf(await database.db.execute(sql`select id from widgets where label ilike ${likePattern(query)} order by id`)).map((r) => r.id);
    expect(await match('0%')).toEqual(['p1']);
    expect(await match('a_b')).toEqual(['p3']);
    expect(await match('k\\s')).toEqual(['p5']);
    expect(await match('COTTON')).toEqual(['p1', 'p2']);
  });

  // Only a server can go away; embedded PGlite lives inside the process.
  const servers = testPgUrl() ? ['PostgreSQL'] : [];
  for (const server of servers) {
    it(`ping fails within its timeout while ${server} is unreachable, and recovers`, async () => {
      proxy!.cut();
      const started = Date.now();
      await expect(database.ping(1000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
      proxy!.restore();
      const deadline = Date.now() + 10_000;
      let ok = false;
      while (!ok && Date.now() < deadline) ok = await database.ping(1000).then(() => true, () => false);
      expect(ok).toBe(true);
    });
  }
});
