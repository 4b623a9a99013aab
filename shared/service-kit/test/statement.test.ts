import * as path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { createTestDatabase, dropTestDatabases } from '@fedmcp/testing';
import { Database, isUniqueViolation, openDatabase, statement } from '../src';

const widgets = pgTable('widgets', { id: text('id').primaryKey(), label: text('label').notNull() });
const schema = { widgets };

let builds = 0;
const widgetById = statement<{ id: string }, { id: string; label: string }[]>('widget_by_id', (db) => {
  builds += 1;
  return db.select().from(widgets).where(eq(widgets.id, sql.placeholder('id')));
});
const insertWidget = statement<{ id: string; label: string }, { id: string }[]>('insert_widget', (db) =>
  db.insert(widgets).values({ id: sql.placeholder('id'), label: sql.placeholder('label') }).returning({ id: widgets.id }),
);

class Rollback extends Error {}

/** Both drivers in one run: PostgreSQL (when the run has one; CI always does) and embedded PGlite. */
describe('statement: built once, run on the pool or a transaction', () => {
  const opened: { name: string; database: Database<typeof schema> }[] = [];
  /** The operations the database instrumentation observed: every statement is measured like any other query. */
  const observed: string[] = [];

  beforeAll(async () => {
    const url = await createTestDatabase('kit_statement');
    for (const [name, target] of [
      ['embedded', undefined],
      ['postgres', url],
    ] as const) {
      if (name === 'postgres' && !url) continue;
      const database = await openDatabase({ service: 'kit', url: target, embeddedDir: 'memory://', migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'), schema, poolMax: 3, observer: { query: (operation) => void observed.push(operation), connections: () => undefined } });
      opened.push({ name, database });
    }
  }, 60_000);

  afterAll(async () => {
    for (const { database } of opened) await database.close();
    await dropTestDatabases();
  });

  it('fills in the values of each call and maps the rows as drizzle does', async () => {
    for (const { name, database } of opened) {
      const db = database.db;
      expect(await insertWidget(db, { id: `w1-${name}`, label: `first ${name}` })).toEqual([{ id: `w1-${name}` }]);
      await insertWidget(db, { id: `w2-${name}`, label: `second ${name}` });
      expect(await widgetById(db, { id: `w2-${name}` })).toEqual([{ id: `w2-${name}`, label: `second ${name}` }]);
      expect(await widgetById(db, { id: `w1-${name}` })).toEqual([{ id: `w1-${name}`, label: `first ${name}` }]);
      expect(await widgetById(db, { id: 'none' })).toEqual([]);
    }
    // One build per driver, however many calls and databases.
    expect(builds).toBe(opened.length);
    expect(observed.filter((op) => op === 'SELECT')).toHaveLength(3 * opened.length);
    expect(observed.filter((op) => op === 'INSERT')).toHaveLength(2 * opened.length);
  });

  it('runs inside the transaction it is given: sees its writes, and a rollback takes them back', async () => {
    for (const { name, database } of opened) {
      const db = database.db;
      const id = `tx-${name}`;
      await expect(
        db.transaction(async (tx) => {
          await insertWidget(tx, { id, label: `in a transaction ${name}` });
          // The transaction's own connection sees the row…
          expect(await widgetById(tx, { id })).toEqual([{ id, label: `in a transaction ${name}` }]);
          // …another connection of the pool does not (PGlite has one connection: it waits for the transaction).
          if (name === 'postgres') expect(await widgetById(db, { id })).toEqual([]);
          throw new Rollback();
        }),
      ).rejects.toBeInstanceOf(Rollback);
      expect(await widgetById(db, { id })).toEqual([]);

      await db.transaction(async (tx) => {
        await insertWidget(tx, { id, label: `committed ${name}` });
      });
      expect(await widgetById(db, { id })).toEqual([{ id, label: `committed ${name}` }]);
    }
  });

  it('fails a call with bad values as the database refuses it and changes nothing', async () => {
    for (const { name, database } of opened) {
      const db = database.db;
      await insertWidget(db, { id: `dup-${name}`, label: `unique ${name}` });
      const duplicate = await insertWidget(db, { id: `dup-${name}`, label: `another ${name}` }).catch((error: unknown) => error);
      expect(isUniqueViolation(duplicate)).toBe(true);
      const missing = await insertWidget(db, { id: `null-${name}`, label: null as never }).catch((error: { cause?: { code?: string } }) => error);
      expect(missing).toMatchObject({ cause: { code: '23502' } }); // not_null_violation
      expect(await widgetById(db, { id: `dup-${name}` })).toEqual([{ id: `dup-${name}`, label: `unique ${name}` }]);
      expect(await widgetById(db, { id: `null-${name}` })).toEqual([]);
      // The statement still works after the failures.
      expect(await widgetById(db, { id: `w1-${name}` })).toHaveLength(1);
    }
  });
});
