/**
 * Where the authorization server keeps what must survive a restart (signing
 * keys, cookie keys, the order service's client secret, registered clients):
 * JSON files in `DATA_DIR/auth/`, readable by this user only. Without a data
 * directory (tests: `memory://`) everything lives in memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StateStore {
  /** Where the files are, or undefined in memory. */
  readonly dir: string | undefined;
  read<T>(name: string): T | undefined;
  write(name: string, value: unknown): void;
}

export function openStateStore(dataDir: string | undefined): StateStore {
  if (!dataDir || dataDir.startsWith('memory://')) {
    const memory = new Map<string, string>();
    return {
      dir: undefined,
      read: <T>(name: string) => (memory.has(name) ? (JSON.parse(memory.get(name)!) as T) : undefined),
      write: (name, value) => void memory.set(name, JSON.stringify(value)),
    };
  }
  const dir = path.resolve(dataDir, 'auth');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    dir,
    read<T>(name: string): T | undefined {
      const file = path.join(dir, `${name}.json`);
      if (!fs.existsSync(file)) return undefined;
      return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    },
    write(name, value) {
      // Write then rename, so a crash never leaves half a key file.
      const file = path.join(dir, `${name}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
  };
}
