import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src';

const setting = async (db: { execute(query: unknown): Promise<unknown> }, name: string): Promise<string> => {
  const result = (await db.execute(sql`select current_setting(${name}) as value`)) as { rows: { value: string }[] };
  return result.rows[0].value;
};

describe('embedded database settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-embedded-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs with small shared buffers, on a new data folder and when it is opened again', async () => {
    const open = () =>
      openDatabase({ service: 'kit', embeddedDir: dir, migrationsFolder: path.join(__dirname, 'fixtures', 'drizzle'), schema: {}, poolMax: 1, observer: { query: () => undefined, connections: () => undefined } });
    for (const round of ['created', 'reopened']) {
      const database = await open();
      try {
        expect(database.kind).toBe('embedded');
        expect({ round, shared_buffers: await setting(database.db, 'shared_buffers') }).toEqual({ round, shared_buffers: '16MB' });
      } finally {
        await database.close();
      }
    }
  }, 60_000);
});
