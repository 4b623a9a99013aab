import { and, asc, eq, inArray, isNull, lt, or, sql, SQL } from 'drizzle-orm';
import { AppDatabase, CursorCodec, keysetPage, newId } from '@fedmcp/service-kit';
import { OrderLineRow, OrderRow, SagaStepRow, orderLines, orders, sagaSteps, schema } from './order.schema';

export type OrderStatus = OrderRow['status'];
export type StepStatus = SagaStepRow['status'];

export interface RequestedItem {
  product_id: string;
  quantity: number;
}

export interface OrderRecord {
  row: OrderRow;
  lines: OrderLineRow[];
}

/** Fields the saga changes as it goes. */
export type OrderPatch = Partial<Pick<OrderRow, 'status' | 'currency' | 'totalCents' | 'reservationId' | 'paymentId' | 'failureCode' | 'failureMessage' | 'compensationPending' | 'cancelReason'>>;

export interface NewOrder {
  customerId: string;
  paymentMethod: string;
  items: RequestedItem[];
  idempotencyKey?: string;
  requestHash: string;
  leaseMs: number;
}

export class OrderRepository {
  private readonly cursors = new CursorCodec('order:list');

  constructor(private readonly db: AppDatabase<typeof schema>) {}

  /**
   * Records a new pending order and its requested lines, leased to the
   * caller. With an idempotency key already used, returns the existing order instead.
   */
  async createPending(input: NewOrder): Promise<{ record: OrderRecord; created: boolean }> {
    const id = newId('ord');
    const created = await this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(orders)
        .values({
          id,
          customerId: input.customerId,
          paymentMethod: input.paymentMethod,
          idempotencyKey: input.idempotencyKey ?? null,
          requestHash: input.requestHash,
          leaseUntil: sql`now() + ${`${input.leaseMs} milliseconds`}::interval`,
        })
        .onConflictDoNothing({ target: orders.idempotencyKey })
        .returning({ id: orders.id });
      if (inserted.length === 0) return false;
      await tx.insert(orderLines).values(input.items.map((item, position) => ({ orderId: id, position, productId: item.product_id, quantity: item.quantity })));
      return true;
    });
    if (created) return { record: (await this.find(id))!, created: true };
    const [existing] = await this.db.select().from(orders).where(eq(orders.idempotencyKey, input.idempotencyKey!)).limit(1);
    return { record: { row: existing, lines: await this.lines(existing.id) }, created: false };
  }

  async find(id: string): Promise<OrderRecord | undefined> {
    const [row] = await this.db.select().from(orders).where(eq(orders.id, id)).limit(1);
    return row ? { row, lines: await this.lines(id) } : undefined;
  }

  private lines(orderId: string): Promise<OrderLineRow[]> {
    return this.db.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.position));
  }

  async update(id: string, patch: OrderPatch): Promise<void> {
    await this.db
      .update(orders)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(eq(orders.id, id));
  }

  async setUnitPrices(orderId: string, prices: Map<string, number>): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const [productId, price] of prices) {
        await tx
          .update(orderLines)
          .set({ unitPriceCents: price })
          .where(and(eq(orderLines.orderId, orderId), eq(orderLines.productId, productId)));
      }
    });
  }

  async recordStep(orderId: string, step: string, status: StepStatus, detail?: Record<string, unknown>): Promise<void> {
    await this.db.insert(sagaSteps).values({ orderId, step, status, detail: detail ?? null });
  }

  steps(orderId: string): Promise<SagaStepRow[]> {
    return this.db.select().from(sagaSteps).where(eq(sagaSteps.orderId, orderId)).orderBy(asc(sagaSteps.id));
  }

  /** Takes the order for `ms` if nobody holds it; false when another runner does. */
  async acquireLease(orderId: string, ms: number): Promise<boolean> {
    const taken = await this.db
      .update(orders)
      .set({ leaseUntil: sql`now() + ${`${ms} milliseconds`}::interval` })
      .where(and(eq(orders.id, orderId), or(isNull(orders.leaseUntil), lt(orders.leaseUntil, sql`now()`))))
      .returning({ id: orders.id });
    return taken.length === 1;
  }

  async releaseLease(orderId: string): Promise<void> {
    await this.db.update(orders).set({ leaseUntil: null }).where(eq(orders.id, orderId));
  }

  /** Orders whose saga was interrupted, or whose compensation is still owed, and that nobody holds. */
  async findUnfinished(limit = 50): Promise<string[]> {
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          or(eq(orders.status, 'pending'), and(eq(orders.status, 'failed'), eq(orders.compensationPending, true))),
          or(isNull(orders.leaseUntil), lt(orders.leaseUntil, sql`now()`)),
        ),
      )
      .orderBy(asc(orders.id))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  async list(input: { customer_id?: string; status?: OrderStatus; limit: number; cursor?: string }) {
    const filters: (SQL | undefined)[] = [
      input.customer_id ? eq(orders.customerId, input.customer_id) : undefined,
      input.status ? eq(orders.status, input.status) : undefined,
    ];
    const page = await keysetPage(this.db, orders, filters, input, this.cursors, (row) => row);
    const ids = page.items.map((r) => r.id);
    const lines = ids.length ? await this.db.select().from(orderLines).where(inArray(orderLines.orderId, ids)).orderBy(asc(orderLines.position)) : [];
    const byOrder = new Map<string, OrderLineRow[]>();
    for (const line of lines) byOrder.set(line.orderId, [...(byOrder.get(line.orderId) ?? []), line]);
    return { items: page.items.map((row): OrderRecord => ({ row, lines: byOrder.get(row.id) ?? [] })), next_cursor: page.next_cursor };
  }
}
