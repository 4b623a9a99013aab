import { and, asc, eq, gt, inArray, isNull, lt, or, sql, SQL } from 'drizzle-orm';
import { AppDatabase, CursorCodec, conflict, executeRows, keysetPage, newId, PartyRef, Transact } from '@fedmcp/service-kit';
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
export type OrderPatch = Partial<Pick<OrderRow, 'status' | 'currency' | 'totalCents' | 'reservationId' | 'paymentId' | 'failureCode' | 'failureMessage' | 'compensationPending' | 'cancelReason' | 'leaseUntil'>>;

/** One row of the saga step log. */
export interface StepEntry {
  step: string;
  status: StepStatus;
  at: Date;
  detail?: Record<string, unknown> | null;
}

/** Milliseconds since the epoch of a timestamptz column, as raw statements return it. */
const epochMs = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`);

export interface NewOrder {
  customerId: string;
  paymentMethod: string;
  items: RequestedItem[];
  idempotencyKey?: string;
  requestHash: string;
  leaseMs: number;
  /** The caller who places it (recorded as placed_by; never a token). */
  placedBy: PartyRef;
}

export class OrderRepository {
  private readonly cursors = new CursorCodec('order:list');

  constructor(private readonly db: AppDatabase<typeof schema>) {}

  /**
   * Records a new pending order and its requested lines, leased to the
   * caller, in one statement inside the transaction `transact` opens (the
   * tool's audited one). With an idempotency key already used, returns the
   * existing order instead, or fails with CONFLICT when that order came from
   * a different request (decided inside the transaction, so a refused call
   * changes nothing).
   */
  async createPending(input: NewOrder, transact: Transact): Promise<{ record: OrderRecord; created: boolean }> {
    const id = newId('ord');
    const lineValues = sql.join(
      input.items.map((item, position) => sql`(${position}::int, ${item.product_id}::text, ${item.quantity}::int)`),
      sql`, `,
    );
    const inserted = await transact(async (tx, touch) => {
      const [row] = await executeRows<{ created_ms: number; lease_ms: number }>(
      tx,
      sql`with o as (
        insert into orders (id, customer_id, payment_method, idempotency_key, request_hash, lease_until, placed_by_sub, placed_by_client_id)
        values (${id}, ${input.customerId}, ${input.paymentMethod}, ${input.idempotencyKey ?? null}, ${input.requestHash}, now() + ${`${input.leaseMs} milliseconds`}::interval, ${input.placedBy.sub}, ${input.placedBy.client_id})
        on conflict (idempotency_key) do nothing
        returning id, ${epochMs('created_at')} as created_ms, ${epochMs('lease_until')} as lease_ms
      ), l as (
        insert into order_lines (order_id, position, product_id, quantity)
        select o.id, v.position, v.product_id, v.quantity from o, (values ${lineValues}) as v(position, product_id, quantity)
      )
      select created_ms, lease_ms from o`,
      );
      if (row) {
        touch(id);
        return row;
      }
      const [existing] = await tx.select({ id: orders.id, requestHash: orders.requestHash }).from(orders).where(eq(orders.idempotencyKey, input.idempotencyKey!)).limit(1);
      if (existing.requestHash !== input.requestHash) {
        throw conflict(`idempotency_key "${input.idempotencyKey}" was already used for a different order (${existing.id}). Use a new key for a new order, or repeat the original request exactly.`, { order_id: existing.id });
      }
      touch(existing.id);
      return undefined;
    });
    if (inserted) {
      const createdAt = new Date(Number(inserted.created_ms));
      const row: OrderRow = {
        id,
        customerId: input.customerId,
        status: 'pending',
        paymentMethod: input.paymentMethod,
        currency: null,
        totalCents: null,
        reservationId: null,
        paymentId: null,
        failureCode: null,
        failureMessage: null,
        compensationPending: false,
        cancelReason: null,
        placedBySub: input.placedBy.sub,
        placedByClientId: input.placedBy.client_id,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.requestHash,
        leaseUntil: new Date(Number(inserted.lease_ms)),
        createdAt,
        updatedAt: createdAt,
      };
      const lines = input.items.map((item, position): OrderLineRow => ({ orderId: id, position, productId: item.product_id, quantity: item.quantity, unitPriceCents: null }));
      return { record: { row, lines }, created: true };
    }
    const [existing] = await this.db.select().from(orders).where(eq(orders.idempotencyKey, input.idempotencyKey!)).limit(1);
    return { record: { row: existing, lines: await this.lines(existing.id) }, created: false };
  }

  /**
   * One saga transition in one statement: the order's fields change, the
   * lines get their unit prices (when given) and the step rows are appended,
   * all or nothing, and only while the order is still pending. Returns the
   * new `updated_at`, or undefined when the order is no longer pending
   * (another runner, e.g. recovery after this one's lease ran out, finished
   * or failed it first: nothing is written).
   */
  async advance(orderId: string, patch: OrderPatch, steps: StepEntry[], prices?: Map<string, number>): Promise<Date | undefined> {
    const sets = Object.entries(patch)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => sql`${sql.identifier(orders[key as keyof OrderPatch].name)} = ${value}`);
    const parts = [sql`o as (update orders set ${sql.join([...sets, sql`updated_at = now()`], sql`, `)} where id = ${orderId} and status = 'pending' returning ${epochMs('updated_at')} as updated_ms)`];
    if (prices?.size) {
      const values = sql.join([...prices].map(([productId, price]) => sql`(${productId}::text, ${price}::int)`), sql`, `);
      parts.push(sql`p as (update order_lines set unit_price_cents = v.price from (values ${values}) as v(product_id, price) where order_lines.order_id = ${orderId} and order_lines.product_id = v.product_id and exists (select 1 from o))`);
    }
    if (steps.length) {
      const values = sql.join(
        steps.map((s) => sql`(${orderId}, ${s.step}, ${s.status}, ${s.detail ? JSON.stringify(s.detail) : null}::jsonb, ${s.at.toISOString()}::timestamptz)`),
        sql`, `,
      );
      parts.push(sql`s as (insert into saga_steps (order_id, step, status, detail, at) select * from (values ${values}) as v where exists (select 1 from o))`);
    }
    const [row] = await executeRows<{ updated_ms: number }>(this.db, sql`with ${sql.join(parts, sql`, `)} select updated_ms from o`);
    return row ? new Date(Number(row.updated_ms)) : undefined;
  }

  async find(id: string): Promise<OrderRecord | undefined> {
    const [row] = await this.db.select().from(orders).where(eq(orders.id, id)).limit(1);
    return row ? { row, lines: await this.lines(id) } : undefined;
  }

  private lines(orderId: string): Promise<OrderLineRow[]> {
    return this.db.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.position));
  }

  /** `db` is a transaction's handle when the update belongs to one. */
  async update(id: string, patch: OrderPatch, db: AppDatabase<typeof schema> = this.db): Promise<void> {
    await db
      .update(orders)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(eq(orders.id, id));
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

  /**
   * Orders whose saga was interrupted, or whose compensation is still owed,
   * and that nobody holds: up to `limit` of them by id, after `afterId` (the
   * next page of one sweep, so orders that stay unfinished cannot hide the rest).
   */
  async findUnfinished(limit = 50, afterId?: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          or(eq(orders.status, 'pending'), and(eq(orders.status, 'failed'), eq(orders.compensationPending, true))),
          or(isNull(orders.leaseUntil), lt(orders.leaseUntil, sql`now()`)),
          afterId === undefined ? undefined : gt(orders.id, afterId),
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
