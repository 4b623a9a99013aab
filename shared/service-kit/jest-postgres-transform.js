/**
 * jest's module loader does not run require hooks, so the kit's patches to
 * postgres.js (src/postgres-patches.ts) would be missing from every test that
 * runs a service in the jest process. This transform applies the same
 * functions to the driver's files as jest loads them (jest.preset.js).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const patchesFile = require.resolve('./dist/postgres-patches.js');
const { patchDriverSource } = require(patchesFile);

module.exports = {
  process(sourceText, sourcePath) {
    return { code: patchDriverSource(sourcePath, sourceText) };
  },
  // A changed patch invalidates jest's cache of the patched files.
  getCacheKey(sourceText, sourcePath) {
    return crypto.createHash('sha256').update(sourceText).update(sourcePath).update(fs.readFileSync(patchesFile)).digest('hex');
  },
};
