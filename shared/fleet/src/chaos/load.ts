/**
 * The chaos run's traffic: concurrent clients placing orders with
 * create_order, each with its own idempotency key, recording what every
 * client was told. Items mix "spread" stock (many products, plenty of units)
 * and "hot" stock (one product with few units, so it sells out and oversell
 * would show).
 */
import type { TestClient } from '@fedmcp/testing';

export interface OrderRequest {
  customer_id: string;
  items: { product_id: string; quantity: number }[];
  payment_method: string;
  idempotency_key: string;
}

/** What one create_order call answered. */
export type Answer =
  | { kind: 'order'; status: 'confirmed' | 'failed' | 'pending' | 'cancelled'; order_id: string; code?: string }
  /** A tool error (isError) with its code. */
  | { kind: 'tool_error'; code: string }
  /**
   * No answer at all: connection reset, client timeout, or (`refused`) the
   * connection was refused, so the request never reached the service.
   */
  | { kind: 'no_answer'; error: string; refused: boolean };

export interface Attempt {
  request: OrderRequest;
  startedAt: number;
  endedAt: number;
  answer: Answer;
}

export interface Stock {
  customers: string[];
  spread: string[];
  /** The product with few units, replaced for every fault. */
  hot: string;
}

export interface LoadOptions {
  clients: TestClient[];
  stock: () => Stock;
  /** Prefix of every idempotency key of this run. */
  keyPrefix: string;
  /** Share of orders that also take one unit of the hot product (0..1). */
  hotShare: number;
  /** Share of orders paid with a card that is declined (exercises compensation). */
  declineShare: number;
}

const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];

/** Builds one random order request. */
export function randomRequest(stock: Stock, key: string, options: Pick<LoadOptions, 'hotShare' | 'declineShare'>): OrderRequest {
  const items = [{ product_id: pick(stock.spread), quantity: 1 + Math.floor(Math.random() * 3) }];
  if (Math.random() < options.hotShare) items.push({ product_id: stock.hot, quantity: 1 });
  return { customer_id: pick(stock.customers), items, payment_method: Math.random() < options.declineShare ? 'pm_card_declined' : 'pm_card_ok', idempotency_key: key };
}

/** Sends one create_order and classifies the answer (never throws). */
export async function placeOrder(client: TestClient, request: OrderRequest): Promise<Answer> {
  try {
    const result = await client.call<{ order_id: string; status: 'confirmed' | 'failed' | 'pending' | 'cancelled'; failure: { code: string } | null }>('create_order', { ...request });
    if (result.isError) return { kind: 'tool_error', code: result.error?.code ?? 'UNKNOWN' };
    return { kind: 'order', status: result.data.status, order_id: result.data.order_id, ...(result.data.failure ? { code: result.data.failure.code } : {}) };
  } catch (error) {
    return { kind: 'no_answer', error: (error as Error).message.slice(0, 200), refused: causes(error).some((e) => (e as { code?: string }).code === 'ECONNREFUSED') };
  }
}

/** An error and its chain of causes (fetch wraps the socket error). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Runs the clients until `stop()` is called; every attempt is recorded. */
export class LoadGenerator {
  readonly attempts: Attempt[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private sequence = 0;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true;
    this.workers = this.options.clients.map((client) => this.work(client));
  }

  private async work(client: TestClient): Promise<void> {
    while (this.running) {
      const request = randomRequest(this.options.stock(), `${this.options.keyPrefix}-${this.sequence++}`, this.options);
      const startedAt = Date.now();
      const answer = await placeOrder(client, request);
      this.attempts.push({ request, startedAt, endedAt: Date.now(), answer });
      // A client that got no answer backs off a little instead of spinning on a refused port.
      if (answer.kind === 'no_answer') await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stops after the calls in flight have answered. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}
