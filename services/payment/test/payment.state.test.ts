import { ACTION_TARGETS, PAYMENT_ACTIONS, PAYMENT_STATUSES, PaymentState, PaymentStatus, TRANSITIONS, allowedActions, canTransition, decide, isTerminal } from '../src/payment.state';

const state = (status: PaymentStatus, captured = 0, refunded = 0, amount = 100): PaymentState => ({ status, amount_cents: amount, captured_cents: captured, refunded_cents: refunded });

describe('payment state machine', () => {
  it('allows exactly the documented transitions', () => {
    expect(TRANSITIONS).toEqual({
      authorized: ['captured', 'voided'],
      declined: [],
      captured: ['partially_refunded', 'refunded'],
      voided: [],
      partially_refunded: ['partially_refunded', 'refunded'],
      refunded: [],
    });
    expect(canTransition('authorized', 'captured')).toBe(true);
    expect(canTransition('captured', 'voided')).toBe(false);
    expect(canTransition('voided', 'captured')).toBe(false);
  });

  it('treats declined, voided and refunded as terminal with no allowed actions', () => {
    for (const status of ['declined', 'voided', 'refunded'] as const) {
      expect(isTerminal(status)).toBe(true);
      expect(allowedActions(status)).toEqual([]);
    }
    expect(allowedActions('authorized')).toEqual(['capture', 'void']);
    expect(allowedActions('captured')).toEqual(['refund']);
    expect(allowedActions('partially_refunded')).toEqual(['refund']);
  });

  it('captures the full authorized amount', () => {
    expect(decide(state('authorized', 0, 0, 2500), 'capture')).toEqual({ kind: 'apply', to: 'captured', event_amount_cents: 2500, captured_cents: 2500, refunded_cents: 0 });
  });

  it('voids an authorized payment, recording the released amount', () => {
    expect(decide(state('authorized'), 'void')).toEqual({ kind: 'apply', to: 'voided', event_amount_cents: 100, captured_cents: 0, refunded_cents: 0 });
  });

  it('returns unchanged when the payment is already where the action leads', () => {
    expect(decide(state('captured', 100), 'capture')).toEqual({ kind: 'unchanged' });
    expect(decide(state('voided'), 'void')).toEqual({ kind: 'unchanged' });
    expect(decide(state('refunded', 100, 100), 'refund')).toEqual({ kind: 'unchanged' });
  });

  it('refunds partially, then the rest when no amount is given', () => {
    expect(decide(state('captured', 100), 'refund', 30)).toEqual({ kind: 'apply', to: 'partially_refunded', event_amount_cents: 30, captured_cents: 100, refunded_cents: 30 });
    expect(decide(state('partially_refunded', 100, 30), 'refund')).toEqual({ kind: 'apply', to: 'refunded', event_amount_cents: 70, captured_cents: 100, refunded_cents: 100 });
    expect(decide(state('partially_refunded', 100, 30), 'refund', 70)).toMatchObject({ kind: 'apply', to: 'refunded' });
  });

  it('rejects a refund above what is left as an invalid amount, naming what is left', () => {
    const decision = decide(state('partially_refunded', 100, 80), 'refund', 21);
    expect(decision.kind).toBe('invalid_amount');
    expect(decision.kind === 'invalid_amount' && decision.message).toContain('20 cents left');
  });

  it('rejects non-positive or fractional refund amounts', () => {
    for (const amount of [0, -5, 1.5]) expect(decide(state('captured', 100), 'refund', amount).kind).toBe('invalid_amount');
  });

  it('explains an illegal transition with the current status and what is allowed', () => {
    const voidCaptured = decide(state('captured', 100), 'void');
    expect(voidCaptured.kind).toBe('conflict');
    expect(voidCaptured.kind === 'conflict' && voidCaptured.message).toMatch(/captured.*refund_payment/);
    const captureDeclined = decide(state('declined'), 'capture');
    expect(captureDeclined.kind === 'conflict' && captureDeclined.message).toContain('declined is final');
    expect(decide(state('authorized'), 'refund').kind).toBe('conflict');
    expect(decide(state('voided'), 'capture').kind).toBe('conflict');
    expect(decide(state('refunded', 100, 100), 'refund', 10).kind).toBe('conflict');
  });

  it('never decides a transition the table does not allow, and keeps refunds within the captured amount', () => {
    for (const status of PAYMENT_STATUSES) {
      for (const action of PAYMENT_ACTIONS) {
        for (const amount of [undefined, 1, 50, 100, 101]) {
          const captured = ['captured', 'partially_refunded', 'refunded'].includes(status) ? 100 : 0;
          const refunded = status === 'refunded' ? 100 : status === 'partially_refunded' ? 40 : 0;
          const decision = decide(state(status, captured, refunded), action, amount);
          if (decision.kind !== 'apply') continue;
          expect(canTransition(status, decision.to)).toBe(true);
          expect(ACTION_TARGETS[action]).toContain(decision.to);
          expect(decision.refunded_cents).toBeLessThanOrEqual(decision.captured_cents);
          expect(decision.captured_cents).toBeLessThanOrEqual(100);
        }
      }
    }
  });
});
