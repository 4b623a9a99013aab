/**
 * The kit's patches to postgres.js (src/postgres-patches.ts) against the
 * installed driver: each finds what it patches, and a driver whose source
 * changed is left as it is (the kit then falls back, e.g. to the driver's own
 * `begin` when reserved handles are not guarded).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DRIVER_PATCHES, patchDriverSource, patchedDriverFile } from '../src/postgres-patches';

const driverDir = path.dirname(require.resolve('postgres'));
const source = (file: string) => fs.readFileSync(path.join(driverDir, file), 'utf8');

describe("the kit's patches to postgres.js", () => {
  it.each(Object.keys(DRIVER_PATCHES))('finds what it patches in the installed %s', (file) => {
    expect(patchDriverSource(path.join(driverDir, file), source(file))).not.toBe(source(file));
  });

  it('leaves files it does not patch, and files outside the driver, alone', () => {
    expect(patchedDriverFile(path.join(driverDir, 'query.js'))).toBeUndefined();
    expect(patchedDriverFile('/app/node_modules/other/src/index.js')).toBeUndefined();
    expect(patchDriverSource(path.join(driverDir, 'query.js'), source('query.js'))).toBe(source('query.js'));
  });

  it('guards reserved handles all or nothing: with one of its places gone, index.js is left unchanged', () => {
    const index = source('index.js');
    for (const gone of ['c.reserved.release = true', 'sql.release = () => {', 'function handler(q) {\n      c.queue === full']) {
      const changed = index.replace(gone, `/* changed */ ${gone.replace(/[a-z]/, 'X')}`);
      expect(changed).not.toBe(index);
      expect(patchDriverSource(path.join(driverDir, 'index.js'), changed)).toBe(changed);
    }
  });
});
