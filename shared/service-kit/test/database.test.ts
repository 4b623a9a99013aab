import * as path from 'node:path';
import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { TcpProxy, createTestDatabase, dropTestDatabases, testPgUrl } from '@fedmcp/testing';
import { Database, RECONNECT_BACKOFF_MAX_S, countRows, isDatabaseUnreachable, isUniqueViolation, likePattern, openDatabase, reconnectBackoff } from '../src';
import { instrumentPostgresJs } from '../src/db-instrument';

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
  /** The test database's own URL (not through the proxy). */
  let serverUrl: string | undefined;

  beforeAll(async () => {
    let url = await createTestDatabase('kit');
    serverUrl = url;
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

  it('observes each query inside a transaction once and gives the connection back', async () => {
    queries.length = 0;
    await database.db.transaction(async (tx) => {
      await tx.insert(widgets).values({ id: 'w2', label: 'Second' });
      await tx.select().from(widgets);
    });
    // Once each: postgres.js calls a transaction query's `catch` itself, which once made a second span.
    expect(queries).toEqual(['INSERT', 'SELECT']);
    expect(connections).toBe(0);
    expect(await countRows(database.db as never, 'widgets')).toBe(2);
  });

  it('rolls a transaction back when its callback throws, and a nested one back to its savepoint', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(widgets).values({ id: 'rb1', label: 'Rolled back' });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await database.db.transaction(async (tx) => {
      await tx.insert(widgets).values({ id: 'sp1', label: 'Outer' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(widgets).values({ id: 'sp2', label: 'Inner' });
          throw new Error('inner refused');
        }),
      ).rejects.toThrow('inner refused');
      await tx.transaction((inner) => inner.insert(widgets).values({ id: 'sp3', label: 'Inner kept' }));
    });
    const ids = rowsOf(await database.db.execute(sql`select id from widgets where id in ('rb1', 'sp1', 'sp2', 'sp3') order by id`)).map((r) => r.id);
    expect(ids).toEqual(['sp1', 'sp3']);
    expect(connections).toBe(0);
  });

  it('fails a transaction whose COMMIT the server turned into a ROLLBACK (a statement nobody awaited had failed)', async () => {
    let unawaited: Promise<unknown> | undefined;
    const outcome = await database.db
      .transaction(async (tx) => {
        await tx.insert(widgets).values({ id: 'ua1', label: 'Before' });
        unawaited = Promise.resolve(tx.insert(widgets).values({ id: 'ua1', label: 'Duplicate' }));
        unawaited.catch(() => undefined);
      })
      .then(() => 'committed', () => 'failed');
    expect(outcome).toBe('failed');
    await expect(unawaited).rejects.toBeDefined();
    expect(rowsOf(await database.db.execute(sql`select id from widgets where id = 'ua1'`))).toHaveLength(0);
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

  it('reconnectBackoff waits a little longer after each failed connect, never more than RECONNECT_BACKOFF_MAX_S', () => {
    const longest = Array.from({ length: 40 }, (_, n) => reconnectBackoff(n, () => 1));
    expect(longest[0]).toBeCloseTo(0.02);
    for (let n = 1; n < longest.length; n++) expect(longest[n]).toBeGreaterThanOrEqual(longest[n - 1]);
    expect(Math.max(...longest)).toBe(RECONNECT_BACKOFF_MAX_S);
    expect(RECONNECT_BACKOFF_MAX_S).toBeLessThanOrEqual(1);
    // Jitter: between half and all of the step.
    expect(reconnectBackoff(40, () => 0)).toBe(RECONNECT_BACKOFF_MAX_S / 2);
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

    it(`every pool connection is back as soon as ${server} is, however many connects were refused while it was away`, async () => {
      // postgres.js counts failed connects pool-wide and waits (0.5..1) x min(3^count / 100, 20) s
      // before opening a connection again: a few seconds of refused connects under traffic left
      // connections 10-20 s behind a server that was already back (reconnectBackoff bounds it).
      const front = await TcpProxy.forUrl(serverUrl!).start();
      const busy = await openDatabase({ service: 'kit', url: front.rewrite(serverUrl!), embeddedDir: 'memory://', migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'), schema, poolMax: 10, observer: { query: () => undefined, connections: () => undefined } });
      try {
        front.refuse(); // every connect fails, as when the server is down (the port stays ours)
        const until = Date.now() + 3000;
        let failed = 0;
        while (Date.now() < until) failed += (await Promise.all(Array.from({ length: 10 }, () => busy.ping(500).then(() => 0, () => 1)))).reduce((a, b) => a + b, 0);
        expect(failed).toBeGreaterThan(0);
        front.restore();
        // Ten at once take every connection of the pool.
        const pings = await Promise.all(Array.from({ length: 10 }, () => busy.ping(2000).then(() => 'ok', (e: Error) => e.message)));
        expect(pings).toEqual(Array(10).fill('ok'));
      } finally {
        await busy.close();
        await front.close();
      }
    });

    it(`fails a transaction whose connection ${server} closed under it, and every pool connection works afterwards`, async () => {
      let afterwards: unknown;
      const lost = await database.db
        .transaction(async (tx) => {
          await tx.insert(widgets).values({ id: 'lost1', label: 'Lost' });
          const killed = await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`).then(() => undefined, (error: unknown) => error);
          // The pool has the connection back and reconnects it for other callers: a statement
          // through this transaction's handle must fail, never run in someone else's session.
          await new Promise((resolve) => setTimeout(resolve, 100));
          await Promise.all(Array.from({ length: 4 }, () => database.db.execute(sql`select 1`).catch(() => undefined)));
          afterwards = await tx.execute(sql`select 1`).then(() => 'ran', (error: unknown) => error);
          throw killed ?? new Error('the connection was not lost');
        })
        .then(() => undefined, (error: unknown) => error);
      expect(lost).toBeDefined();
      expect(isDatabaseUnreachable(lost)).toBe(true);
      expect(isDatabaseUnreachable(afterwards)).toBe(true);
      // More transactions and queries at once than the pool has connections.
      const round = () =>
        Promise.all(
          Array.from({ length: 9 }, (_, i) =>
            (i % 2 ? database.db.transaction((tx) => tx.execute(sql`select 1`)) : database.db.execute(sql`select 1`)).then(
              () => 'ok',
              (error: Error) => error.message,
            ),
          ),
        );
      // postgres.js 3.4.9 hands the dead session's last error to the first query on its
      // replacement (a plain query or its own `begin` do the same): one failure at most.
      expect((await round()).filter((r) => r !== 'ok').length).toBeLessThanOrEqual(1);
      // Then none: no pool slot kept the dead connection.
      expect(await round()).toEqual(Array(9).fill('ok'));
      expect(rowsOf(await database.db.execute(sql`select id from widgets where id = 'lost1'`))).toHaveLength(0);
      expect(connections).toBe(0);
    });

    it(`tells a query that failed because ${server} was unreachable (drizzle wraps the driver error) from one that failed on its own`, async () => {
      proxy!.cut();
      try {
        const lost = await database.db.select().from(widgets).then(() => undefined, (error: unknown) => error);
        expect(lost).toBeDefined();
        expect(isDatabaseUnreachable(lost)).toBe(true);
      } finally {
        proxy!.restore();
      }
      const deadline = Date.now() + 10_000;
      let broken: unknown;
      while (Date.now() < deadline) {
        broken = await database.db.execute(sql`select * from no_such_table`).then(() => undefined, (error: unknown) => error);
        if (!isDatabaseUnreachable(broken)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(broken).toBeDefined();
      expect(isDatabaseUnreachable(broken)).toBe(false);
    });

    // BEGIN pipelined with the first statement needs reserved handles the kit's driver patch
    // guarded (db-instrument.ts); on a driver whose source the patch no longer finds, the kit
    // falls back to the driver's own begin. Both must commit, roll back, give the connection back.
    it.each([
      ['a guarded handle: BEGIN pipelined, the driver\'s begin unused', false],
      ['an unguarded handle: the driver\'s own begin', true],
    ])(`transactions on ${server} through the instrumented pool, %s`, async (_, unguarded) => {
      const pool = postgres(serverUrl!, { max: 2, onnotice: () => undefined });
      try {
        const counts = { driverBegin: 0, connections: 0, inserts: 0 };
        // The pool as the kit sees it, counting calls of the driver's own begin; with
        // `unguarded`, reserved handles lose the guard's mark.
        const target = new Proxy(pool, {
          get(t, prop, receiver) {
            const value = Reflect.get(t, prop, receiver) as (...a: unknown[]) => unknown;
            if (prop === 'begin') return (...args: unknown[]) => (counts.driverBegin++, value.apply(t, args));
            if (prop === 'reserve' && unguarded) {
              return async () => {
                const handle = await t.reserve();
                const release = handle.release;
                handle.release = () => release();
                return handle;
              };
            }
            return value;
          },
        });
        const kit = instrumentPostgresJs(target, {
          query: (operation) => void (counts.inserts += operation === 'INSERT' ? 1 : 0),
          connections: (delta) => void (counts.connections += delta),
        });
        const tag = unguarded ? 'tx-u' : 'tx-g';
        // Statements go through `unsafe`, as drizzle sends them.
        const insert = (tx: { unsafe: typeof kit.unsafe }, n: number) => tx.unsafe('insert into widgets values ($1, $1)', [`${tag}${n}`]);
        await kit.begin(async (tx) => {
          await insert(tx, 1);
          await insert(tx, 2);
        });
        const thrown = await kit
          .begin(async (tx) => {
            await insert(tx, 3);
            throw new Error('abandoned');
          })
          .then(() => undefined, (error: Error) => error.message);
        expect(thrown).toBe('abandoned');
        const duplicate = await kit
          .begin(async (tx) => {
            await insert(tx, 4);
            await insert(tx, 1);
          })
          .then(() => undefined, (error: unknown) => error);
        expect(isUniqueViolation(duplicate)).toBe(true);
        expect((await pool`select id from widgets where id like ${`${tag}%`} order by id`).map((r) => r.id)).toEqual([`${tag}1`, `${tag}2`]);
        expect(counts).toEqual({ driverBegin: unguarded ? 3 : 0, connections: 0, inserts: 5 });
        // No pool connection was left inside a transaction.
        expect(await Promise.all([1, 2, 3, 4].map(() => pool`select 1 as one`.then((r) => r[0].one)))).toEqual([1, 1, 1, 1]);
      } finally {
        await pool.end();
      }
    });
  }
});
