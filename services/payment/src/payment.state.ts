/**
 * The payment state machine, as data plus pure functions: which statuses may
 * follow which, which action leads where, and what a requested action means
 * for a payment in its current state. No I/O here; the repository applies the
 * decision under a row lock.
 */

export const PAYMENT_STATUSES = ['authorized', 'declined', 'captured', 'voided', 'partially_refunded', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_ACTIONS = ['capture', 'void', 'refund'] as const;
export type PaymentAction = (typeof PAYMENT_ACTIONS)[number];

/** Ledger event types: the two ways a payment starts, then the actions. */
export const PAYMENT_EVENT_TYPES = ['authorize', 'decline', ...PAYMENT_ACTIONS] as const;
export type PaymentEventType = (typeof PAYMENT_EVENT_TYPES)[number];

/** Allowed transitions: status → statuses it may move to. Empty = terminal. */
export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  authorized: ['captured', 'voided'],
  declined: [],
  captured: ['partially_refunded', 'refunded'],
  voided: [],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
};

/** Where each action can lead (refund: partially or fully, by amount). */
export const ACTION_TARGETS: Readonly<Record<PaymentAction, readonly PaymentStatus[]>> = {
  capture: ['captured'],
  void: ['voided'],
  refund: ['partially_refunded', 'refunded'],
};

/** The MCP tool that performs each action (used in messages to the model). */
const ACTION_TOOLS: Readonly<Record<PaymentAction, string>> = { capture: 'capture_payment', void: 'void_payment', refund: 'refund_payment' };

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: PaymentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Actions that can move a payment out of `status`. */
export function allowedActions(status: PaymentStatus): PaymentAction[] {
  return PAYMENT_ACTIONS.filter((action) => ACTION_TARGETS[action].some((to) => canTransition(status, to)));
}

/** The money-relevant part of a payment the state machine looks at. */
export interface PaymentState {
  status: PaymentStatus;
  amount_cents: number;
  captured_cents: number;
  refunded_cents: number;
}

export type Decision =
  /** Already where the action leads: return the payment unchanged. */
  | { kind: 'unchanged' }
  /** Apply: the new status and amounts, and the amount the ledger event records. */
  | { kind: 'apply'; to: PaymentStatus; event_amount_cents: number; captured_cents: number; refunded_cents: number }
  /** Not allowed from the current status (CONFLICT). */
  | { kind: 'conflict'; message: string }
  /** Allowed, but the requested amount is not (VALIDATION_ERROR on `amount_cents`). */
  | { kind: 'invalid_amount'; message: string };

function describeAllowed(status: PaymentStatus): string {
  const actions = allowedActions(status);
  return actions.length === 0 ? `${status} is final: no further action is possible` : `from ${status} you can call ${actions.map((a) => ACTION_TOOLS[a]).join(' or ')}`;
}

function conflictWith(state: PaymentState, action: PaymentAction, hint = ''): Decision {
  const needs = PAYMENT_STATUSES.filter((s) => ACTION_TARGETS[action].some((to) => canTransition(s, to)));
  return {
    kind: 'conflict',
    message: `Cannot ${action} a payment that is ${state.status}: ${ACTION_TOOLS[action]} needs status ${needs.join(' or ')}, and ${describeAllowed(state.status)}.${hint ? ' ' + hint : ''}`,
  };
}

/** Remaining refundable amount: what was captured and not yet refunded. */
export function refundable(state: PaymentState): number {
  return state.captured_cents - state.refunded_cents;
}

/**
 * What `action` means for a payment in `state`. `amountCents` is only read by
 * refund (omitted = everything left). Repeating the transition a payment is
 * already in (capture of captured, void of voided, full refund of refunded)
 * is `unchanged`, so retries are safe.
 */
export function decide(state: PaymentState, action: PaymentAction, amountCents?: number): Decision {
  switch (action) {
    case 'capture':
      if (state.status === 'captured') return { kind: 'unchanged' };
      if (!canTransition(state.status, 'captured')) return conflictWith(state, action);
      return { kind: 'apply', to: 'captured', event_amount_cents: state.amount_cents, captured_cents: state.amount_cents, refunded_cents: state.refunded_cents };
    case 'void':
      if (state.status === 'voided') return { kind: 'unchanged' };
      if (!canTransition(state.status, 'voided')) {
        return conflictWith(state, action, state.status === 'captured' || state.status === 'partially_refunded' ? 'A captured payment is returned with refund_payment.' : '');
      }
      return { kind: 'apply', to: 'voided', event_amount_cents: state.amount_cents, captured_cents: state.captured_cents, refunded_cents: state.refunded_cents };
    case 'refund':
      return decideRefund(state, amountCents);
  }
}

function decideRefund(state: PaymentState, amountCents: number | undefined): Decision {
  if (state.status === 'refunded' && amountCents === undefined) return { kind: 'unchanged' };
  if (state.status === 'refunded') return conflictWith(state, 'refund', `All ${state.captured_cents} cents captured have already been refunded.`);
  if (!ACTION_TARGETS.refund.some((to) => canTransition(state.status, to))) {
    return conflictWith(state, 'refund', state.status === 'authorized' ? 'An authorized payment is not captured yet: release it with void_payment, or capture it first.' : '');
  }
  const left = refundable(state);
  const amount = amountCents ?? left;
  if (!Number.isInteger(amount) || amount <= 0) return { kind: 'invalid_amount', message: 'amount_cents must be a positive integer number of cents, or omitted to refund everything left.' };
  if (amount > left) {
    return { kind: 'invalid_amount', message: `amount_cents ${amount} is more than the ${left} cents left to refund (captured ${state.captured_cents}, already refunded ${state.refunded_cents}). Pass at most ${left}, or omit amount_cents to refund the rest.` };
  }
  const refunded = state.refunded_cents + amount;
  const to: PaymentStatus = refunded === state.captured_cents ? 'refunded' : 'partially_refunded';
  return { kind: 'apply', to, event_amount_cents: amount, captured_cents: state.captured_cents, refunded_cents: refunded };
}
