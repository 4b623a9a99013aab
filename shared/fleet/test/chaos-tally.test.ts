import type { Attempt, Answer } from '../src/chaos/load';
import { Resolution, TallyInput, tally } from '../src/chaos/tally';
import { passed } from '../src/chaos/report';
import type { ChaosReport } from '../src/chaos/run';
import { DURATIONS, ORDER_SETTINGS } from '../src/chaos/run';

// How the chaos test (chaos.test.ts) catches a real problem: what the clients
// were told is held against how every order ended, and any order that ended
// otherwise than its client was told makes the fault "lost", so the run fails.

const HEALED = 10_000;
let key = 0;
const attempt = (startedAt: number, answer: Answer): Attempt => ({
  request: { customer_id: 'cus_1', items: [{ product_id: 'prd_1', quantity: 1 }], payment_method: 'pm_card_ok', idempotency_key: `k${key++}` },
  startedAt,
  endedAt: startedAt + 200,
  answer,
});
const input = (attempts: Attempt[], finalStatus: Record<string, string>, resolutions: Record<string, Resolution> = {}): TallyInput => ({
  fault: 'kill-order',
  description: 'test',
  attempts,
  healedAt: HEALED,
  finalStatus: new Map(Object.entries(finalStatus)),
  resolutions: new Map(Object.entries(resolutions)),
  consistentAt: HEALED + 1000,
  violations: [],
});
const report = (...faults: ReturnType<typeof tally>[]): ChaosReport => ({ mode_durations: DURATIONS.ci, clients: 16, order_settings: ORDER_SETTINGS, started_at: '', duration_s: 1, faults });

describe('chaos tally: what makes the chaos run fail', () => {
  const confirmedAfterHealing = attempt(HEALED + 100, { kind: 'order', status: 'confirmed', order_id: 'ord_ok' });

  it('passes a fault where every client was told how its order ended and an order placed after healing was confirmed', () => {
    // A tool error leaves the outcome open: repeating it with its key showed the original placed nothing.
    const refused = attempt(HEALED - 500, { kind: 'tool_error', code: 'DEPENDENCY_UNAVAILABLE' });
    const result = tally(input([confirmedAfterHealing, refused], { ord_ok: 'confirmed' }, { [refused.request.idempotency_key]: { status: 'confirmed', order_id: 'ord_new', placed_by_original: false } }));
    expect(result).toMatchObject({ lost: 0, confirmed: 1, recovery_s: 0.3, failed: { DEPENDENCY_UNAVAILABLE: 1 } });
    expect(passed(report(result))).toBe(true);
  });

  it('counts an order acknowledged confirmed that is gone, or failed later, as lost', () => {
    const gone = attempt(HEALED - 2000, { kind: 'order', status: 'confirmed', order_id: 'ord_gone' });
    const undone = attempt(HEALED - 1500, { kind: 'order', status: 'confirmed', order_id: 'ord_undone' });
    const result = tally(input([gone, undone, confirmedAfterHealing], { ord_undone: 'failed', ord_ok: 'confirmed' }));
    expect(result.lost).toBe(2);
    expect(result.lost_orders).toEqual(['ord_gone (acknowledged confirmed, now missing)', 'ord_undone (acknowledged confirmed, now failed)']);
    expect(passed(report(result))).toBe(false);
  });

  it('counts an order acknowledged failed that went on to be confirmed (charged after all) as lost', () => {
    const result = tally(input([attempt(HEALED - 900, { kind: 'order', status: 'failed', order_id: 'ord_f', code: 'DEPENDENCY_UNAVAILABLE' }), confirmedAfterHealing], { ord_f: 'confirmed', ord_ok: 'confirmed' }));
    expect(result.lost_orders).toEqual(['ord_f (acknowledged failed, now confirmed)']);
    expect(passed(report(result))).toBe(false);
  });

  it('counts a call without an answer whose outcome a repeat with its idempotency key could not establish as lost', () => {
    const silent = attempt(HEALED - 700, { kind: 'no_answer', error: 'socket hang up', refused: false });
    const result = tally(input([silent, confirmedAfterHealing], { ord_ok: 'confirmed' }, { [silent.request.idempotency_key]: { error: 'DEPENDENCY_UNAVAILABLE' } }));
    expect(result.lost).toBe(1);
    expect(passed(report(result))).toBe(false);
  });

  it('fails a fault after which no order placed in the recovery window was confirmed', () => {
    const before = attempt(HEALED - 300, { kind: 'order', status: 'confirmed', order_id: 'ord_before' });
    const result = tally(input([before, attempt(HEALED + 100, { kind: 'tool_error', code: 'DEPENDENCY_UNAVAILABLE' })], { ord_before: 'confirmed' }));
    expect(result.recovery_s).toBeNull();
    expect(passed(report(result))).toBe(false);
  });

  it('fails a run with an invariant violation, a crash, or a fault the harness could not finish', () => {
    const clean = tally(input([confirmedAfterHealing], { ord_ok: 'confirmed' }));
    expect(passed(report({ ...clean, violations: [{ kind: 'order_pending_too_long', message: 'ord_x pending' }] }))).toBe(false);
    expect(passed(report({ ...clean, crashed: ['payment (exit code 1)'] }))).toBe(false);
    expect(passed(report({ ...clean, error: 'platform did not start' }))).toBe(false);
  });
});
