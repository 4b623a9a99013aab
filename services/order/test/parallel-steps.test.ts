import { ErrorCode, ToolError, Transact, UpstreamToolError } from '@fedmcp/service-kit';
import { dropTestDatabases, serviceTestEnv } from '@fedmcp/testing';
import { createOrderService } from '../src/order.service';
import { OrderRepository } from '../src/order.repository';
import { LATE_REQUEST_GRACE_MS, OrderSaga } from '../src/order.saga';
import { sql } from 'drizzle-orm';
import type { Upstreams } from '../src/order.upstreams';
import { toTimeline } from '../src/order.view';
import { OrderWorkflow } from '../src/order.workflow';
import { OrderRecovery } from '../src/order.recovery';

// The saga against a real order database, with the three upstream servers
// replaced by a scripted stand-in, so one of two parallel steps can be made to
// fail while the other succeeds — the case that decides whether compensation
// undoes exactly what was done.

jest.setTimeout(60_000);

type Service = Awaited<ReturnType<typeof createOrderService>>;
let service: Service;
let repo: OrderRepository;

beforeAll(async () => {
  service = await createOrderService(await serviceTestEnv('order'));
  repo = new OrderRepository(service.db);
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await dropTestDatabases();
});

type Behaviour = Partial<Record<'getCustomer' | 'reserve' | 'authorize' | 'commit' | 'capture' | 'void' | 'release' | 'refund', () => Promise<unknown>>>;

/** Upstreams that succeed unless told otherwise, and remember every call. */
function scripted(behaviour: Behaviour) {
  const calls: string[] = [];
  const ok = {
    getCustomer: async () => ({ customer_id: 'cus_1', status: 'active' }),
    reserve: async () => ({ reservation_id: 'res_1', status: 'held', total_cents: 500, lines: [{ product_id: 'prd_1', quantity: 2, unit_price_cents: 250, currency: 'USD' }] }),
    authorize: async () => ({ payment_id: 'pay_1', status: 'authorized', amount_cents: 500, currency: 'USD' }),
    commit: async () => ({ reservation_id: 'res_1', status: 'committed' }),
    capture: async () => ({ payment_id: 'pay_1', status: 'captured' }),
    void: async () => ({ payment_id: 'pay_1', status: 'voided' }),
    release: async () => ({ reservation_id: 'res_1', status: 'released' }),
    refund: async () => ({ payment_id: 'pay_1', status: 'refunded' }),
  };
  const upstreams: Record<string, unknown> = Object.fromEntries(
    Object.entries(ok).map(([name, fallback]) => [
      name,
      async () => {
        calls.push(name);
        return (behaviour[name as keyof Behaviour] ?? fallback)();
      },
    ]),
  );
  // The saga calls on behalf of whoever placed the order: remember for whom.
  const parties: unknown[] = [];
  upstreams.actingFor = (party: unknown) => {
    parties.push(party);
    return upstreams;
  };
  return { upstreams: upstreams as unknown as Upstreams, calls, parties };
}

async function runOrder(behaviour: Behaviour) {
  const { upstreams, calls, parties } = scripted(behaviour);
  const saga = new OrderSaga(repo, upstreams, service.logger);
  const unaudited: Transact = (work) => service.db.transaction((tx) => work(tx, () => undefined));
  const { record } = await repo.createPending({ customerId: 'cus_1', paymentMethod: 'pm_card_ok', items: [{ product_id: 'prd_1', quantity: 2 }], requestHash: 'h', leaseMs: 10_000, placedBy: { sub: 'user-1', client_id: 'test-client' } }, unaudited);
  const confirmed = await saga.run(record.row.id, record);
  const stored = (await repo.find(record.row.id))!;
  const timeline = toTimeline(await repo.steps(record.row.id)).map((t) => `${t.step}:${t.status}`);
  return { confirmed, stored, timeline, calls, parties };
}

const unavailable = (server: string, tool: string) => () => Promise.reject(new ToolError('DEPENDENCY_UNAVAILABLE', `${server} down`, { server, tool }));

/** Answers with each behaviour in turn, the last one from then on. */
const inTurn = (...answers: (() => Promise<unknown>)[]) => {
  let n = 0;
  return () => answers[Math.min(n++, answers.length - 1)]();
};
const refused = (server: string, tool: string, code: ErrorCode) => () => Promise.reject(new UpstreamToolError(server, tool, { code, message: `${code} from ${server}` }));

describe('steps that run in parallel', () => {
  it('confirms with every step logged once, prices on the lines, in one pass', async () => {
    const { confirmed, stored, timeline, calls, parties } = await runOrder({});
    expect(confirmed?.row.status).toBe('confirmed');
    expect(stored.row).toMatchObject({ placedBySub: 'user-1', placedByClientId: 'test-client' });
    expect(parties.length).toBeGreaterThan(0);
    for (const party of parties) expect(party).toEqual({ sub: 'user-1', client_id: 'test-client' });
    expect(stored.row).toMatchObject({ status: 'confirmed', reservationId: 'res_1', paymentId: 'pay_1', totalCents: 500, leaseUntil: null });
    expect(stored.lines[0].unitPriceCents).toBe(250);
    expect(confirmed).toEqual(stored);
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:succeeded', 'authorize_payment:succeeded', 'commit_reservation:succeeded', 'capture_payment:succeeded']);
    expect(calls.sort()).toEqual(['authorize', 'capture', 'commit', 'getCustomer', 'reserve']);
  });

  it('releases the reservation made while the customer check failed', async () => {
    const { confirmed, stored, timeline, calls } = await runOrder({ getCustomer: async () => ({ customer_id: 'cus_1', status: 'suspended' }) });
    expect(confirmed).toBeUndefined();
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'CUSTOMER_INACTIVE', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:failed', 'reserve_inventory:succeeded', 'release_reservation:succeeded']);
    expect(calls).not.toContain('authorize');
    expect(calls).not.toContain('void');
  });

  it('holds nothing when the reservation fails while the customer check succeeds', async () => {
    const shortOfStock = () => Promise.reject(new UpstreamToolError('product', 'reserve_inventory', { code: 'INSUFFICIENT_STOCK', message: 'not enough' }));
    const { stored, timeline, calls } = await runOrder({ reserve: shortOfStock });
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'INSUFFICIENT_STOCK', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:failed']);
    expect(calls).not.toContain('release');
  });

  it('returns the committed stock and voids the payment when capture fails while commit succeeds', async () => {
    const { stored, timeline, calls } = await runOrder({ capture: unavailable('payment', 'capture_payment') });
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'DEPENDENCY_UNAVAILABLE', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:succeeded', 'authorize_payment:succeeded', 'commit_reservation:succeeded', 'capture_payment:failed', 'void_payment:succeeded', 'release_reservation:succeeded']);
    expect(calls.filter((c) => c === 'void' || c === 'release' || c === 'refund').sort()).toEqual(['release', 'void']);
  });

  it('refunds the captured payment and releases the stock when commit fails while capture succeeds', async () => {
    const captured = () => Promise.reject(new UpstreamToolError('payment', 'void_payment', { code: 'CONFLICT', message: 'payment is captured' }));
    const { stored, timeline, calls } = await runOrder({ commit: unavailable('product', 'commit_reservation'), void: captured });
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'DEPENDENCY_UNAVAILABLE', compensationPending: false });
    expect(timeline).toContain('capture_payment:succeeded');
    expect(timeline).toContain('commit_reservation:failed');
    expect(calls).toEqual(expect.arrayContaining(['void', 'refund', 'release']));
  });

  it('owes nothing when the reservation of unknown outcome turns out never made (the repeat is refused: discontinued since)', async () => {
    // The first reserve got no answer (product down); the compensation's repeat under the same
    // order_id would return a reservation that exists, so a refusal means none does.
    const reserve = inTurn(unavailable('product', 'reserve_inventory'), refused('product', 'reserve_inventory', 'CONFLICT'));
    const { stored, timeline, calls } = await runOrder({ reserve });
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'DEPENDENCY_UNAVAILABLE', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:failed', 'release_reservation:succeeded']);
    expect(calls.filter((c) => c === 'reserve')).toHaveLength(2);
    expect(calls).not.toContain('release');
  });

  it('takes "sold out" for "nothing reserved" only once no late request of the order can still land', async () => {
    // INSUFFICIENT_STOCK is of the moment: the original reserve may still be on its way and find stock.
    const reserve = inTurn(unavailable('product', 'reserve_inventory'), refused('product', 'reserve_inventory', 'INSUFFICIENT_STOCK'));
    const { upstreams, calls } = scripted({ reserve });
    const saga = new OrderSaga(repo, upstreams, service.logger);
    const unaudited: Transact = (work) => service.db.transaction((tx) => work(tx, () => undefined));
    const { record } = await repo.createPending({ customerId: 'cus_1', paymentMethod: 'pm_card_ok', items: [{ product_id: 'prd_1', quantity: 2 }], requestHash: 'h', leaseMs: 10_000, placedBy: { sub: 'user-1', client_id: 'test-client' } }, unaudited);
    await saga.run(record.row.id, record);
    expect((await repo.find(record.row.id))!.row).toMatchObject({ status: 'failed', compensationPending: true });
    // Failed longer ago than the grace: the sweep's next try settles it.
    await service.db.execute(sql`update orders set updated_at = now() - interval '${sql.raw(String(LATE_REQUEST_GRACE_MS / 1000 + 5))} seconds' where id = ${record.row.id}`);
    await saga.run(record.row.id);
    expect((await repo.find(record.row.id))!.row).toMatchObject({ status: 'failed', compensationPending: false });
    expect(calls.filter((c) => c === 'reserve')).toHaveLength(3);
    expect(calls).not.toContain('release');
  });

  it('owes nothing when the authorization of unknown outcome turns out never made (the repeat is refused)', async () => {
    const authorize = inTurn(unavailable('payment', 'authorize_payment'), refused('payment', 'authorize_payment', 'VALIDATION_ERROR'));
    const { stored, timeline, calls } = await runOrder({ authorize });
    expect(stored.row).toMatchObject({ status: 'failed', failureCode: 'DEPENDENCY_UNAVAILABLE', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:succeeded', 'authorize_payment:failed', 'void_payment:succeeded', 'release_reservation:succeeded']);
    expect(calls).not.toContain('void');
    expect(calls).toContain('release');
  });

  it('still owes the void when the repeated authorization says the key belongs to another request (CONFLICT)', async () => {
    const authorize = inTurn(unavailable('payment', 'authorize_payment'), refused('payment', 'authorize_payment', 'CONFLICT'));
    const { stored } = await runOrder({ authorize });
    expect(stored.row).toMatchObject({ status: 'failed', compensationPending: true });
  });

  it('keeps compensation owed when an upstream is still down while undoing', async () => {
    const { stored } = await runOrder({ capture: unavailable('payment', 'capture_payment'), void: unavailable('payment', 'void_payment') });
    expect(stored.row).toMatchObject({ status: 'failed', compensationPending: true });
  });
});

describe('two runners of one order (a lease ran out while the first still worked)', () => {
  const unaudited: Transact = (work) => service.db.transaction((tx) => work(tx, () => undefined));
  const reservation = { reservation_id: 'res_9', status: 'held', total_cents: 500, lines: [{ product_id: 'prd_1', quantity: 2, unit_price_cents: 250, currency: 'USD' }] };

  /** Runs the saga while "another runner" moves the order to `status` during the reservation call. */
  async function overtaken(status: 'failed' | 'confirmed') {
    let orderId = '';
    const { upstreams, calls } = scripted({
      reserve: async () => {
        if (orderId) await repo.update(orderId, { status, compensationPending: false, ...(status === 'failed' ? { failureCode: 'DEPENDENCY_UNAVAILABLE', failureMessage: 'product down' } : {}) });
        return reservation;
      },
    });
    const saga = new OrderSaga(repo, upstreams, service.logger);
    const { record } = await repo.createPending({ customerId: 'cus_1', paymentMethod: 'pm_card_ok', items: [{ product_id: 'prd_1', quantity: 2 }], requestHash: 'h', leaseMs: 10_000, placedBy: { sub: 'user-1', client_id: 'test-client' } }, unaudited);
    orderId = record.row.id;
    const result = await saga.run(orderId, record);
    const stored = (await repo.find(orderId))!;
    return { result, stored, calls, timeline: toTimeline(await repo.steps(orderId)).map((t) => `${t.step}:${t.status}`) };
  }

  it('stops without touching an order the other runner confirmed', async () => {
    const { result, stored, calls, timeline } = await overtaken('confirmed');
    expect(result).toBeUndefined();
    expect(stored.row).toMatchObject({ status: 'confirmed', reservationId: null });
    expect(timeline).toEqual([]);
    expect(calls.sort()).toEqual(['getCustomer', 'reserve']);
  });

  it('undoes what its own stage did when the other runner failed the order (its compensation may have looked too early)', async () => {
    const { result, stored, calls, timeline } = await overtaken('failed');
    expect(result).toBeUndefined();
    expect(stored.row).toMatchObject({ status: 'failed', compensationPending: false });
    expect(timeline).toEqual(['verify_customer:succeeded', 'reserve_inventory:succeeded', 'release_reservation:succeeded']);
    expect(calls).toContain('release');
    expect(calls).not.toContain('authorize');
  });
});

describe('the recovery sweep', () => {
  it('reaches every unfinished order, however many before it stay unfinished', async () => {
    const unaudited: Transact = (work) => service.db.transaction((tx) => work(tx, () => undefined));
    const create = async () =>
      (await repo.createPending({ customerId: 'cus_1', paymentMethod: 'pm_card_ok', items: [{ product_id: 'prd_1', quantity: 1 }], requestHash: 'h', leaseMs: 10_000, placedBy: { sub: 'user-1', client_id: 'test-client' } }, unaudited)).record.row.id;
    // More orders than one page of the sweep whose compensation keeps failing (payment down)...
    const stuck: string[] = [];
    for (let i = 0; i < 60; i++) {
      const id = await create();
      await repo.update(id, { status: 'failed', failureCode: 'DEPENDENCY_UNAVAILABLE', failureMessage: 'payment down', compensationPending: true, paymentId: `pay_${i}`, leaseUntil: null });
      await repo.recordStep(id, 'authorize_payment', 'succeeded');
      stuck.push(id);
    }
    // ...and, after them by id, an order left pending by a crash.
    const interrupted = await create();
    await repo.update(interrupted, { leaseUntil: null });

    const { upstreams } = scripted({ void: unavailable('payment', 'void_payment') });
    const saga = new OrderSaga(repo, upstreams, service.logger);
    const workflow = new OrderWorkflow(repo, saga, service.logger, { leaseMs: 10_000, answerWithinMs: 1000 });
    const recovery = new OrderRecovery(repo, saga, workflow, service.logger, { intervalMs: 60_000, leaseMs: 10_000 });
    expect(await recovery.sweep()).toBeGreaterThanOrEqual(61);

    expect((await repo.find(interrupted))!.row.status).toBe('confirmed');
    for (const id of stuck.slice(0, 3)) expect((await repo.find(id))!.row).toMatchObject({ status: 'failed', compensationPending: true, leaseUntil: null });
  });
});
