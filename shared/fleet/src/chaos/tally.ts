/**
 * Turns what the clients were told during one fault into the numbers the
 * chaos report shows, after every answer that left the outcome open (still
 * pending, a tool error, no answer at all) has been resolved the way a
 * careful client would: by sending the same request again with the same
 * idempotency key once the platform is healthy.
 */
import type { Violation } from '@fedmcp/order/dist/reconcile/snapshot';
import type { Attempt } from './load';

/** Where an open attempt ended, learnt by repeating it with its idempotency key. */
export type Resolution = { status: string; order_id: string; placed_by_original: boolean } | { error: string };

export interface FaultResult {
  fault: string;
  description: string;
  attempted: number;
  /** Answered confirmed (and still confirmed at the end). */
  confirmed: number;
  /** Answered with a clear failure: a failed order's failure.code or a tool error's code, with counts. */
  failed: Record<string, number>;
  /** Answered "pending" (the saga outlived the tool budget): how they ended. */
  answered_pending: Record<string, number>;
  /** Connection refused (the service was down): nothing was placed, the client knows it. */
  refused: number;
  /** No answer at all (connection reset mid-call): how they ended once repeated with the same key. */
  no_answer: Record<string, number>;
  /** Orders acknowledged to a client that are missing or not in that state, or that never settled. */
  lost: number;
  lost_orders: string[];
  /** From healing to the first confirmed order placed after it (null: none). */
  recovery_s: number | null;
  /** From healing to the first reconcile with no violation (null: never within the settle window). */
  consistent_after_s: number | null;
  violations: Violation[];
  /** Services that died during the fault although it did not kill them (each was started again). */
  crashed?: string[];
  /** The harness itself could not finish this fault (why). */
  error?: string;
}

const bump = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

export interface TallyInput {
  fault: string;
  description: string;
  attempts: Attempt[];
  healedAt: number;
  /** Final status of every order on the platform, by id. */
  finalStatus: Map<string, string>;
  /** Resolution of each open attempt, by idempotency key. */
  resolutions: Map<string, Resolution>;
  consistentAt: number | null;
  violations: Violation[];
}

/** An attempt whose answer does not say for sure how the order ended (a refused connection does: nothing was placed). */
export function isOpen(attempt: Attempt): boolean {
  const { answer } = attempt;
  if (answer.kind === 'no_answer') return !answer.refused;
  return answer.kind !== 'order' || answer.status === 'pending';
}

export function tally(input: TallyInput): FaultResult {
  const result: FaultResult = {
    fault: input.fault,
    description: input.description,
    attempted: input.attempts.length,
    confirmed: 0,
    failed: {},
    answered_pending: {},
    refused: 0,
    no_answer: {},
    lost: 0,
    lost_orders: [],
    recovery_s: null,
    consistent_after_s: input.consistentAt === null ? null : seconds(input.consistentAt - input.healedAt),
    violations: input.violations,
  };
  const lose = (what: string) => {
    result.lost++;
    result.lost_orders.push(what);
  };
  const ended = (key: string): string => {
    const r = input.resolutions.get(key);
    if (!r) return 'unresolved';
    if ('error' in r) return `unresolved (${r.error})`;
    return r.placed_by_original ? r.status : 'never placed';
  };
  let firstConfirmed = Infinity;
  for (const attempt of input.attempts) {
    const { answer } = attempt;
    const key = attempt.request.idempotency_key;
    if (answer.kind === 'order' && answer.status === 'confirmed') {
      const now = input.finalStatus.get(answer.order_id);
      if (now === 'confirmed') result.confirmed++;
      else lose(`${answer.order_id} (acknowledged confirmed, now ${now ?? 'missing'})`);
      if (attempt.startedAt >= input.healedAt) firstConfirmed = Math.min(firstConfirmed, attempt.endedAt);
    } else if (answer.kind === 'order' && answer.status === 'failed') {
      const now = input.finalStatus.get(answer.order_id);
      if (now === 'failed') bump(result.failed, answer.code ?? 'UNKNOWN');
      else lose(`${answer.order_id} (acknowledged failed, now ${now ?? 'missing'})`);
    } else if (answer.kind === 'no_answer' && answer.refused) {
      result.refused++;
    } else {
      const outcome = ended(key);
      if (outcome.startsWith('unresolved') || outcome === 'pending') lose(`${key} (${answer.kind === 'order' ? 'answered pending' : answer.kind}, ${outcome})`);
      if (answer.kind === 'order') bump(result.answered_pending, outcome);
      else if (answer.kind === 'tool_error') bump(result.failed, answer.code);
      else bump(result.no_answer, outcome);
    }
  }
  if (firstConfirmed !== Infinity) result.recovery_s = seconds(firstConfirmed - input.healedAt);
  return result;
}
