import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sql } from 'drizzle-orm';
import { EMBEDDED_POSTGRESQL_CONF as CONF, openDatabase } from '../src';
import { ensureEmbeddedFolder } from '../src/embedded-folder';

const open = (dir: string) =>
  openDatabase({ service: 'kit', embeddedDir: dir, migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'), schema: {}, poolMax: 1, observer: { query: () => undefined, connections: () => undefined } });

const setting = async (db: { execute(query: unknown): Promise<unknown> }, name: string): Promise<string> => {
  const result = (await db.execute(sql`select current_setting(${name}) as value`)) as { rows: { value: string }[] };
  return result.rows[0].value;
};

describe('embedded database settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-embedded-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs with small shared buffers, on a new data folder and when it is opened again', async () => {
    for (const round of ['created', 'reopened']) {
      const database = await open(dir);
      try {
        expect(database.kind).toBe('embedded');
        expect({ round, shared_buffers: await setting(database.db, 'shared_buffers') }).toEqual({ round, shared_buffers: '16MB' });
      } finally {
        await database.close();
      }
    }
  }, 60_000);
});

describe('creating an embedded database folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-folder-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates a new folder in another process, once, and keeps what is written to it', async () => {
    const dir = path.join(root, 'nested', 'service');
    const first = await ensureEmbeddedFolder(dir, CONF);
    expect(first.created).toBe(true);
    expect(first.creatorPid).toEqual(expect.any(Number));
    expect(first.creatorPid).not.toBe(process.pid);
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(`${dir}.creating`)).toBe(false);
    expect(await ensureEmbeddedFolder(dir, CONF)).toEqual({ created: false });

    const database = await open(dir);
    try {
      await database.db.execute(sql`create table kept (v text)`);
      await database.db.execute(sql`insert into kept values ('here')`);
    } finally {
      await database.close();
    }
    expect(await ensureEmbeddedFolder(dir, CONF)).toEqual({ created: false });
    const reopened = await open(dir);
    try {
      const result = (await reopened.db.execute(sql`select v from kept`)) as unknown as { rows: { v: string }[] };
      expect(result.rows).toEqual([{ v: 'here' }]);
    } finally {
      await reopened.close();
    }
  }, 60_000);

  it('takes an empty folder, and clears what a creation cut short left behind', async () => {
    const dir = path.join(root, 'empty');
    fs.mkdirSync(dir);
    fs.mkdirSync(`${dir}.creating`);
    fs.writeFileSync(path.join(`${dir}.creating`, 'PG_VERSION'), 'half made');
    expect((await ensureEmbeddedFolder(dir, CONF)).created).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(fs.existsSync(`${dir}.creating`)).toBe(false);
  }, 60_000);

  it('refuses a folder that holds something other than a database, and leaves it as it was', async () => {
    const dir = path.join(root, 'occupied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    await expect(ensureEmbeddedFolder(dir, CONF)).rejects.toThrow(/is not empty and holds no database/);
    await expect(open(dir)).rejects.toThrow(/is not empty and holds no database/);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
    expect(fs.existsSync(`${dir}.creating`)).toBe(false);
  });

  it('fails with the reason when the database cannot be created, and leaves no staging folder', async () => {
    const dir = path.join(root, 'bad-settings');
    await expect(ensureEmbeddedFolder(dir, ['shared_buffers = not-a-size'])).rejects.toThrow(/creating the embedded database in .*bad-settings failed: ./);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(`${dir}.creating`)).toBe(false);
  }, 60_000);
});
