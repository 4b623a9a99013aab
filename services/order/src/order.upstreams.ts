import type { McpUpstream } from '@fedmcp/service-kit';
import type { RequestedItem } from './order.repository';

/** Upstream tool names the saga calls (the other services export the same strings). */
export const UPSTREAM_TOOL = {
  GET_CUSTOMER: 'get_customer',
  RESERVE_INVENTORY: 'reserve_inventory',
  RELEASE_RESERVATION: 'release_reservation',
  COMMIT_RESERVATION: 'commit_reservation',
  AUTHORIZE_PAYMENT: 'authorize_payment',
  CAPTURE_PAYMENT: 'capture_payment',
  VOID_PAYMENT: 'void_payment',
  REFUND_PAYMENT: 'refund_payment',
} as const;

export interface Reservation {
  reservation_id: string;
  status: string;
  lines: { product_id: string; quantity: number; unit_price_cents: number; currency: string }[];
  total_cents: number;
}

export interface Payment {
  payment_id: string;
  status: string;
  amount_cents: number;
  currency: string;
  decline_reason?: string | null;
}

export interface AuthorizeRequest {
  order_id: string;
  customer_id: string;
  amount_cents: number;
  currency: string;
  payment_method: string;
  idempotency_key: string;
}

// Every call below is idempotent on the other side (reads; reservations per
// order_id; payments per idempotency key; transitions repeat as no-ops), so
// each may be retried and the saga may be re-run after a crash.
const IDEMPOTENT = { idempotent: true } as const;

/** The three servers the order service orchestrates, as typed calls. */
export class Upstreams {
  constructor(
    private readonly customers: McpUpstream,
    private readonly products: McpUpstream,
    private readonly payments: McpUpstream,
  ) {}

  getCustomer(customerId: string) {
    return this.customers.callTool<{ customer_id: string; status: string }>(UPSTREAM_TOOL.GET_CUSTOMER, { customer_id: customerId }, IDEMPOTENT);
  }

  reserve(orderId: string, items: RequestedItem[]) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.RESERVE_INVENTORY, { order_id: orderId, items }, IDEMPOTENT);
  }

  release(reservationId: string) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.RELEASE_RESERVATION, { reservation_id: reservationId }, IDEMPOTENT);
  }

  commit(reservationId: string) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.COMMIT_RESERVATION, { reservation_id: reservationId }, IDEMPOTENT);
  }

  authorize(request: AuthorizeRequest) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.AUTHORIZE_PAYMENT, { ...request }, IDEMPOTENT);
  }

  capture(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.CAPTURE_PAYMENT, { payment_id: paymentId }, IDEMPOTENT);
  }

  void(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.VOID_PAYMENT, { payment_id: paymentId }, IDEMPOTENT);
  }

  /** Refunds everything still captured (a repeat on a refunded payment is a no-op). */
  refund(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.REFUND_PAYMENT, { payment_id: paymentId }, IDEMPOTENT);
  }
}
