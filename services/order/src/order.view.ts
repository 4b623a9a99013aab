import type { OrderRecord } from './order.repository';
import type { SagaStepRow } from './order.schema';
import type { OrderOutput } from './order.types';
import type { PartyRef } from '@fedmcp/service-kit';

/** Who placed the order, as recorded (null for orders from before it was recorded). */
export function placedBy({ row }: OrderRecord): PartyRef | null {
  return row.placedBySub !== null && row.placedByClientId !== null ? { sub: row.placedBySub, client_id: row.placedByClientId } : null;
}

/** The order as tools return it. */
export function toOrder(record: OrderRecord): OrderOutput {
  const { row, lines } = record;
  return {
    order_id: row.id,
    status: row.status,
    customer_id: row.customerId,
    lines: lines.map((l) => ({
      product_id: l.productId,
      quantity: l.quantity,
      unit_price_cents: l.unitPriceCents,
      line_total_cents: l.unitPriceCents === null ? null : l.unitPriceCents * l.quantity,
    })),
    total_cents: row.totalCents,
    currency: row.currency,
    payment_id: row.paymentId,
    reservation_id: row.reservationId,
    failure: row.failureCode ? { code: row.failureCode, message: row.failureMessage ?? '' } : null,
    cancel_reason: row.cancelReason,
    placed_by: placedBy(record),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/**
 * One timeline entry per step or compensation, in the order they began, with
 * the latest status (a step re-run after a restart shows its final outcome).
 */
export function toTimeline(steps: SagaStepRow[]) {
  const entries = new Map<string, { step: string; status: SagaStepRow['status']; at: string; detail: Record<string, unknown> | null }>();
  for (const s of steps) {
    entries.set(s.step, { step: s.step, status: s.status, at: s.at.toISOString(), detail: (s.detail as Record<string, unknown> | null) ?? null });
  }
  return [...entries.values()];
}
