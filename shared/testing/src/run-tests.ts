/**
 * `npm test`: finds PostgreSQL and Redis (real ones where they answer; in CI
 * they must), tells which are used, runs every package's tests through turbo
 * and closes with one summary line `tests: N passed, N failed`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './processes';
import { PG_URL, REDIS_URL, postgresAnswers, redisAnswers } from './infra';

/** What `jest-summary-reporter.js` writes for one jest run. */
interface RunSummary {
  package: string;
  passed: number;
  failed: number;
  skipped: number;
  failures: { where: string; test: string; message: string }[];
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

async function main(): Promise<void> {
  const ci = process.env.CI === 'true';
  const [pg, redis] = await Promise.all([postgresAnswers(PG_URL), redisAnswers(REDIS_URL)]);
  if (ci && (!pg || !redis)) {
    console.error(`CI needs real services: PostgreSQL ${pg ? 'ok' : `not answering at ${PG_URL}`}, Redis ${redis ? 'ok' : `not answering at ${REDIS_URL}`}.`);
    process.exit(1);
  }
  console.log(pg ? `Tests use PostgreSQL at ${PG_URL}` : `PostgreSQL not answering at ${PG_URL}: tests fall back to embedded PGlite`);
  console.log(redis ? `Tests use Redis at ${REDIS_URL}` : `Redis not answering at ${REDIS_URL}: tests fall back to the in-process cache`);

  const summaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedmcp-tests-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TURBO_TELEMETRY_DISABLED: '1',
    TEST_SUMMARY_DIR: summaryDir,
    // PGlite loads its WASM through dynamic import, which jest runs only with VM modules.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim(),
  };
  if (pg) env.TEST_PG_URL = PG_URL;
  else delete env.TEST_PG_URL;
  if (redis) env.TEST_REDIS_URL = REDIS_URL;
  else delete env.TEST_REDIS_URL;

  const filters = process.argv.slice(2);
  const result = spawnSync('npx', ['turbo', 'run', 'test', '--concurrency=2', '--continue', '--output-logs=full', ...filters], { cwd: repoRoot, env, stdio: 'inherit' });

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: string[] = [];
  for (const file of fs.readdirSync(summaryDir)) {
    const s = JSON.parse(fs.readFileSync(path.join(summaryDir, file), 'utf8')) as RunSummary;
    passed += s.passed;
    failed += s.failed;
    skipped += s.skipped;
    for (const f of s.failures) failures.push(`${s.package}/${f.where}: ${f.test}\n${indent(f.message)}`);
  }
  fs.rmSync(summaryDir, { recursive: true, force: true });
  if (failures.length > 0) console.log(`\nfailed:\n${failures.join('\n')}\n`);
  const ok = result.status === 0 && failed === 0;
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(ok ? 0 : 1);
}

void main();
