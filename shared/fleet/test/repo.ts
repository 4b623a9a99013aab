import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}

export function listFiles(dir: string, ext: RegExp): string[] {
  const abs = repoPath(dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs)
    .filter((f) => ext.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
