/**
 * `npm run chaos`: the fault matrix under load (see run.ts) against
 * PostgreSQL and Redis on this machine (TEST_PG_URL, TEST_REDIS_URL; default
 * the local ones). Writes bench/results/chaos.json and chaos.md; exits 1 when
 * any fault lost an order, did not recover or left an invariant violated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../services';
import { DURATIONS, runChaos } from './run';
import { markdownTable, passed, summaryLines } from './report';

const USAGE = `Usage: npm run chaos -- [--ci] [--only kill-order,redis-down,...] [--clients N] [--out <dir>]

  --ci       short durations (3 s faults), as the test suite runs it; results are printed, not written
  --only     run only these faults
  --clients  concurrent clients placing orders (default 16)
  --out      where chaos.json and chaos.md go (default bench/results)
  --logs     write every service process's output to this directory (diagnosis)
`;

async function main(argv: string[]): Promise<number> {
  let ci = false;
  let only: string[] | undefined;
  let clients = 16;
  let logsDir: string | undefined;
  let out: string | undefined = path.join(repoRoot(), 'bench', 'results');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ci') ci = true;
    else if (argv[i] === '--only' && argv[i + 1]) only = argv[++i].split(',').map((s) => s.trim());
    else if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
    else if (argv[i] === '--logs' && argv[i + 1]) logsDir = argv[++i];
    else if (argv[i] === '--clients' && Number(argv[i + 1]) > 0) clients = Number(argv[++i]);
    else {
      process.stderr.write(USAGE);
      return argv[i] === '-h' || argv[i] === '--help' ? 0 : 64;
    }
  }
  if (ci && !argv.includes('--out')) out = undefined;
  process.env.TEST_PG_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';
  process.env.TEST_REDIS_URL ||= 'redis://127.0.0.1:6379';

  const report = await runChaos({ durations: DURATIONS[ci ? 'ci' : 'full'], only, clients, logsDir, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`\n${summaryLines(report).join('\n')}\n`);
  if (out) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'chaos.json'), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(path.join(out, 'chaos.md'), markdownTable(report));
    process.stdout.write(`results: ${path.join(out, 'chaos.json')}, ${path.join(out, 'chaos.md')}\n`);
  }
  const ok = passed(report);
  process.stdout.write(ok ? 'chaos: every fault recovered, 0 orders lost, 0 invariant violations\n' : 'chaos: FAILED (see the rows above)\n');
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? error}\n`);
    process.exit(2);
  },
);
