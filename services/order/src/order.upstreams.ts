import type { CallOptions, McpUpstream, PartyRef } from '@fedmcp/service-kit';
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
  LIST_RESERVATIONS: 'list_reservations',
  SEARCH_PRODUCTS: 'search_products',
  LIST_PAYMENTS: 'list_payments',
} as const;

/** One page of an upstream list tool. */
export interface UpstreamPage<T> {
  items: T[];
  next_cursor: string | null;
}

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

/**
 * The three servers the order service orchestrates, as typed calls. The
 * order service calls them with its own token; `actingFor(party)` gives the
 * same calls carrying the end user they are made for as data
 * (`params._meta["io.fedmcp/on_behalf_of"]`, for the upstreams' audit trails).
 */
export class Upstreams {
  // Every call below is idempotent on the other side (reads; reservations per
  // order_id; payments per idempotency key; transitions repeat as no-ops), so
  // each may be retried and the saga may be re-run after a crash.
  private readonly options: CallOptions;

  constructor(
    private readonly customers: McpUpstream,
    private readonly products: McpUpstream,
    private readonly payments: McpUpstream,
    party: PartyRef | null = null,
  ) {
    this.options = { idempotent: true, onBehalfOf: party };
  }

  /** The same upstreams, each call made on behalf of `party` (null: for nobody but the order service). */
  actingFor(party: PartyRef | null): Upstreams {
    return new Upstreams(this.customers, this.products, this.payments, party);
  }

  getCustomer(customerId: string) {
    return this.customers.callTool<{ customer_id: string; status: string }>(UPSTREAM_TOOL.GET_CUSTOMER, { customer_id: customerId }, this.options);
  }

  reserve(orderId: string, items: RequestedItem[]) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.RESERVE_INVENTORY, { order_id: orderId, items }, this.options);
  }

  release(reservationId: string) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.RELEASE_RESERVATION, { reservation_id: reservationId }, this.options);
  }

  commit(reservationId: string) {
    return this.products.callTool<Reservation>(UPSTREAM_TOOL.COMMIT_RESERVATION, { reservation_id: reservationId }, this.options);
  }

  authorize(request: AuthorizeRequest) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.AUTHORIZE_PAYMENT, { ...request }, this.options);
  }

  capture(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.CAPTURE_PAYMENT, { payment_id: paymentId }, this.options);
  }

  void(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.VOID_PAYMENT, { payment_id: paymentId }, this.options);
  }

  /** Refunds everything still captured (a repeat on a refunded payment is a no-op). */
  refund(paymentId: string) {
    return this.payments.callTool<Payment>(UPSTREAM_TOOL.REFUND_PAYMENT, { payment_id: paymentId }, this.options);
  }

  /** Pages of the upstream lists the reconciler reads (largest page the tools allow). */
  listReservations(cursor?: string) {
    return this.products.callTool<UpstreamPage<Reservation & { order_id: string }>>(UPSTREAM_TOOL.LIST_RESERVATIONS, { limit: 100, ...(cursor ? { cursor } : {}) }, this.options);
  }

  listProducts(cursor?: string) {
    return this.products.callTool<UpstreamPage<{ product_id: string; stock_on_hand: number; stock_reserved: number }>>(UPSTREAM_TOOL.SEARCH_PRODUCTS, { limit: 100, ...(cursor ? { cursor } : {}) }, this.options);
  }

  listPayments(cursor?: string) {
    return this.payments.callTool<UpstreamPage<Payment & { order_id: string; captured_cents: number; refunded_cents: number }>>(UPSTREAM_TOOL.LIST_PAYMENTS, { limit: 100, ...(cursor ? { cursor } : {}) }, this.options);
  }
}
