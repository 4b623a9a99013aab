import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';

/**
 * V8 flags for a process that runs PGlite. `--liftoff-only`: PostgreSQL's
 * WebAssembly stays on V8's baseline compiler; without it V8 recompiles the
 * hot part of a 9 MB module with its optimising compiler, in the background,
 * and keeps both copies. Measured on this machine (PGlite 0.5; open, 20 000
 * statements, a GC): 204-211 MB resident instead of 253-258, 6.4 s of CPU
 * instead of 7.3-7.7; initdb 3.0-3.6 s of CPU instead of 4.8-5.1 (see
 * bench/README.md). It touches only WebAssembly (JavaScript keeps every tier).
 */
export const EMBEDDED_V8_FLAGS = ['--liftoff-only'];

/**
 * Sets EMBEDDED_V8_FLAGS in this process, before PGlite compiles its module
 * (V8 reads them when a module is compiled and when it would tier up). Done
 * here rather than on the command line, so every way of starting a service
 * (npm start, the image, the tests) gets it, and only when it runs PGlite.
 * Setting a flag again is harmless.
 */
export function useEmbeddedEngineFlags(): void {
  for (const flag of EMBEDDED_V8_FLAGS) v8.setFlagsFromString(flag);
}

/**
 * Creating an embedded database (PGlite's initdb) grows its WebAssembly
 * memory to ~700 MB, and WebAssembly memory never shrinks: a service that
 * created its folder in process stayed 550-750 MB resident, one that opened
 * an existing folder 170-180 MB (16 MB of shared buffers, PGlite 0.5). So a
 * new folder is created by a short-lived child process, and the service only
 * ever opens an existing one. The child builds it next to the folder and
 * renames it into place, so a creation cut short leaves no half-made
 * database behind, only a staging folder the next attempt clears. A folder
 * that is a mount point of its own cannot be renamed onto: there the child
 * creates the database in place, as PGlite itself would.
 */
const CREATE_IN_CHILD = `
const { PGlite } = require(process.argv[1]);
PGlite.create(process.argv[2], { postgresqlconf: JSON.parse(process.argv[3]) })
  .then((pg) => pg.close())
  .catch((error) => { process.stderr.write(String(error && error.message || error)); process.exit(1); });
`;

export interface EmbeddedFolder {
  /** True when this call created the database; false when it was there. */
  created: boolean;
  /** The process that ran initdb, when this call created the database. */
  creatorPid?: number;
}

const holdsDatabase = (dir: string): boolean => fs.existsSync(path.join(dir, 'PG_VERSION'));
/** A file system's root folder holds `lost+found` from the start. */
const occupied = (dir: string): boolean => fs.existsSync(dir) && fs.readdirSync(dir).some((entry) => entry !== 'lost+found');
const isMountPoint = (dir: string): boolean => fs.existsSync(dir) && fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;

/** Makes sure `dir` holds an embedded database, creating it out of process if it does not. */
export async function ensureEmbeddedFolder(dir: string, postgresqlConf: readonly string[]): Promise<EmbeddedFolder> {
  if (holdsDatabase(dir)) return { created: false };
  if (occupied(dir)) {
    throw new Error(`embedded database folder ${dir} is not empty and holds no database (no PG_VERSION); move its content away or point DATA_DIR elsewhere`);
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const inPlace = isMountPoint(dir);
  const staging = inPlace ? dir : `${dir}.creating`;
  if (!inPlace) fs.rmSync(staging, { recursive: true, force: true });
  const creatorPid = await new Promise<number>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...EMBEDDED_V8_FLAGS, '-e', CREATE_IN_CHILD, require.resolve('@electric-sql/pglite'), staging, JSON.stringify(postgresqlConf)],
      // No inherited NODE_OPTIONS: the child needs neither the service's heap budget nor its preloads.
      { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000, maxBuffer: 1 << 20 },
      (error, _stdout, stderr) => {
        if (!error) return resolve(child.pid ?? -1);
        const reason = stderr.trim().split('\n').pop() || error.message;
        reject(new Error(`creating the embedded database in ${dir} failed: ${reason}`));
      },
    );
  }).catch((error: unknown) => {
    if (!inPlace) fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  });
  // rename(2) replaces an empty folder in one step.
  if (!inPlace) fs.renameSync(staging, dir);
  return { created: true, creatorPid };
}
