import type { ChaosReport } from './run';

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ') || '0';
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

/** The chaos table in markdown: one row per fault. */
export function markdownTable(report: ChaosReport): string {
  const d = report.mode_durations;
  const rows = report.faults.map((f) =>
    [
      `\`${f.fault}\``,
      f.description,
      f.attempted,
      f.confirmed,
      total(f.failed) ? `${total(f.failed)} (${counts(f.failed)})` : '0',
      total(f.answered_pending) ? `${total(f.answered_pending)} → ${counts(f.answered_pending)}` : '0',
      f.refused,
      total(f.no_answer) ? `${total(f.no_answer)} → ${counts(f.no_answer)}` : '0',
      f.lost,
      f.recovery_s === null ? 'not recovered' : `${f.recovery_s} s`,
      [String(f.violations.length), f.crashed?.length ? `crashed: ${f.crashed.join(', ')}` : '', f.error ? `run failed: ${f.error}` : ''].filter(Boolean).join('; '),
    ].join(' | '),
  );
  return [
    `${report.clients} concurrent clients placing orders on PostgreSQL; each fault lasts ${d.faultMs / 1000} s, then ${d.recoveryMs / 1000} s of traffic after healing. ` +
      `Recovery = from healing to the first order placed after it that is confirmed. Pending and unanswered calls were resolved by repeating them with their idempotency key.`,
    '',
    '| fault | what | attempted | confirmed | failed (clear code) | answered pending → ended | refused (service down) | no answer → ended | lost | recovery | invariant violations |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
  ].join('\n');
}

/** One line per fault for the console. */
export function summaryLines(report: ChaosReport): string[] {
  return report.faults.map(
    (f) => `${f.fault.padEnd(24)} attempted ${String(f.attempted).padStart(5)}  confirmed ${String(f.confirmed).padStart(5)}  failed ${String(total(f.failed)).padStart(4)}  lost ${f.lost}  recovery ${f.recovery_s ?? '-'} s  violations ${f.violations.length}`,
  );
}

/** True when every fault lost nothing, recovered, and left no invariant violated. */
export function passed(report: ChaosReport): boolean {
  return report.faults.every((f) => f.lost === 0 && f.violations.length === 0 && f.recovery_s !== null && !f.crashed?.length && !f.error);
}
