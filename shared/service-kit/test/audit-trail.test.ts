import { eq, sql } from 'drizzle-orm';
import { InProcessService, startInProcess, testPgUrl, unique } from '@fedmcp/testing';
import { AuditEvent, LIST_AUDIT_EVENTS, auditEvents } from '../src';
import { AuditBuffer } from '../src/audit/audit-buffer';
import { createAuditTestService, widgets } from './fixtures/audit-service';

type Service = Awaited<ReturnType<typeof createAuditTestService>>;
type Page = { items: AuditEvent[]; next_cursor: string | null };

const DRIVERS = testPgUrl() ? (['postgres', 'embedded'] as const) : (['embedded'] as const);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The database's error code, whichever driver raised it and however drizzle wrapped it. */
async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code;
  }
}

describe.each(DRIVERS)('audit trail (%s)', (driver) => {
  let svc: InProcessService<Service>;
  const rowsOf = (tool: string) => svc.service.db.select().from(auditEvents).where(eq(auditEvents.tool, tool));

  beforeAll(async () => {
    // An empty DATABASE_URL counts as unset: the embedded run uses PGlite even when PostgreSQL is there.
    svc = await startInProcess('kit', createAuditTestService, driver === 'embedded' ? { DATABASE_URL: '', DATA_DIR: 'memory://' } : {});
  }, 120_000);
  afterAll(() => svc?.stop());

  it('writes the event of a change in the change\'s own transaction, before the answer', async () => {
    const label = `w-${unique()}`;
    const put = await svc.client.ok<{ widget_id: string }>('put_widget', { label });
    // Nothing waits in the batch buffer: the row committed with the widget.
    expect(svc.service.audit.buffer.pending).toBe(0);
    const rows = (await rowsOf('put_widget')).filter((r) => r.resourceIds.includes(put.widget_id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'ok', principalSub: 'anonymous', resourceIds: [put.widget_id] });
    expect(rows[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('leaves only an outcome row when the change rolls back', async () => {
    const label = `rolled-back-${unique()}`;
    const failed = await svc.client.call('put_widget', { label, fail: true });
    expect(failed.error?.code).toBe('CONFLICT');
    expect(await svc.service.db.select().from(widgets).where(eq(widgets.label, label))).toHaveLength(0);
    const page = await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { tool: 'put_widget', limit: 100 });
    const conflicts = page.items.filter((e) => e.outcome === 'CONFLICT');
    expect(conflicts).toHaveLength(1);
    // The id written in the rolled-back transaction never existed: the event does not name it.
    expect(conflicts[0].resource_ids).toEqual([]);
  });

  it('rolls the change back and fails the call when its own audit row is refused', async () => {
    // The row goes out with the COMMIT, unanswered until then: a refused row must still undo the change.
    await svc.service.db.execute(sql`alter table audit_events add constraint test_refuse_ok check (not (on_behalf_of_sub = 'audit-refused' and outcome = 'ok'))`);
    try {
      const label = `refused-${unique()}`;
      const failed = await svc.client.call('put_widget', { label }, { 'io.fedmcp/on_behalf_of': { sub: 'audit-refused', client_id: 'claude' } });
      expect(failed.error?.code).toBe('INTERNAL');
      expect(await svc.service.db.select().from(widgets).where(eq(widgets.label, label))).toHaveLength(0);
      await svc.service.audit.buffer.flush();
      const rows = (await rowsOf('put_widget')).filter((r) => r.onBehalfOfSub === 'audit-refused');
      expect(rows.map((r) => [r.outcome, r.resourceIds])).toEqual([['INTERNAL', []]]);
      // The connection is fine afterwards: the next change commits with its row.
      const put = await svc.client.ok<{ widget_id: string }>('put_widget', { label: `after-${unique()}` });
      expect((await rowsOf('put_widget')).filter((r) => r.resourceIds.includes(put.widget_id))).toHaveLength(1);
    } finally {
      await svc.service.db.execute(sql`alter table audit_events drop constraint test_refuse_ok`);
    }
  });

  it('records reads and validation failures through the batch, visible to list_audit_events', async () => {
    const put = await svc.client.ok<{ widget_id: string }>('put_widget', { label: `r-${unique()}` });
    await svc.client.ok('get_widget', { widget_id: put.widget_id });
    expect((await svc.client.call('get_widget', { widget_id: 'wdg_nothere' })).error?.code).toBe('NOT_FOUND');
    expect((await svc.client.call('get_widget', { widget_id: 'not an id' })).error?.code).toBe('VALIDATION_ERROR');
    const events = (await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { tool: 'get_widget', limit: 3 })).items;
    expect(events.map((e) => e.outcome)).toEqual(['VALIDATION_ERROR', 'NOT_FOUND', 'ok']);
    expect(events.map((e) => e.resource_ids)).toEqual([[], ['wdg_nothere'], [put.widget_id]]);
    for (const event of events) {
      expect(event.event_id).toMatch(/^evt_[a-z0-9]{26}$/);
      expect(event.principal).toEqual({ sub: 'anonymous', client_id: expect.any(String) });
      expect(event.on_behalf_of).toBeNull();
      expect(Date.parse(event.at)).not.toBeNaN();
    }
  });

  it('records on_behalf_of from _meta, made safe to store even when hostile', async () => {
    const put = await svc.client.ok<{ widget_id: string }>('put_widget', { label: `b-${unique()}` });
    await svc.client.call('get_widget', { widget_id: put.widget_id }, { 'io.fedmcp/on_behalf_of': { sub: 'ada', client_id: 'claude' } });
    await svc.client.call('get_widget', { widget_id: put.widget_id }, { 'io.fedmcp/on_behalf_of': { sub: 'nul\u0000sub', client_id: 'claude' } });
    const events = (await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { tool: 'get_widget', limit: 2 })).items;
    expect(events.map((e) => e.on_behalf_of)).toEqual([
      { sub: 'nul\ufffdsub', client_id: 'claude' },
      { sub: 'ada', client_id: 'claude' },
    ]);
  });

  it('records a change that committed after its call was answered TIMEOUT as ok, once', async () => {
    const label = `slow-${unique()}`;
    expect((await svc.client.call('slow_put', { label })).error?.code).toBe('TIMEOUT');
    for (let i = 0; i < 100 && (await svc.service.db.select().from(widgets).where(eq(widgets.label, label))).length === 0; i++) await sleep(50);
    const [written] = await svc.service.db.select().from(widgets).where(eq(widgets.label, label));
    expect(written).toBeDefined();
    await svc.service.audit.buffer.flush();
    const rows = (await rowsOf('slow_put')).filter((r) => r.resourceIds.includes(written.id));
    expect(rows.map((r) => r.outcome)).toEqual(['ok']);
  });

  it('lists newest first, filters by tool, principal and since, and pages with a cursor', async () => {
    const since = new Date().toISOString();
    await sleep(5);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await svc.client.ok<{ widget_id: string }>('put_widget', { label: `p-${unique()}` })).widget_id);
    const pages = await svc.client.pages<AuditEvent>(LIST_AUDIT_EVENTS, { tool: 'put_widget', since, limit: 2 });
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.items.flatMap((e) => e.resource_ids))).toEqual([...ids].reverse());

    const [anyEvent] = pages[0].items;
    const byClient = await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { principal: anyEvent.principal.client_id, since, limit: 100 });
    expect(byClient.items.length).toBeGreaterThanOrEqual(5);
    const bySub = await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { principal: 'anonymous', since, limit: 100 });
    expect(bySub.items.length).toBe(byClient.items.length + 1); // + the byClient listing itself
    expect((await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { principal: 'someone-else' })).items).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { since: future })).items).toEqual([]);
  });

  it('refuses bad filters and foreign cursors with VALIDATION_ERROR', async () => {
    for (const args of [{ since: 'yesterday' }, { tool: 'DROP TABLE' }, { principal: 'a\u0000b' }, { cursor: 'not-a-cursor' }, { limit: 0 }]) {
      const result = await svc.client.call(LIST_AUDIT_EVENTS, args);
      expect(result.error?.code).toBe('VALIDATION_ERROR');
    }
  });

  it('audits its own reads: list_audit_events calls are events too', async () => {
    await svc.client.ok(LIST_AUDIT_EVENTS, { limit: 1 });
    const page = await svc.client.ok<Page>(LIST_AUDIT_EVENTS, { tool: LIST_AUDIT_EVENTS, limit: 1 });
    expect(page.items[0]).toMatchObject({ tool: LIST_AUDIT_EVENTS, outcome: 'ok' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_events in the database itself', async () => {
    await svc.client.ok('put_widget', { label: `g-${unique()}` });
    const db = svc.service.db;
    expect(await refusal(db.update(auditEvents).set({ outcome: 'ok' }))).toBe('42501');
    expect(await refusal(db.delete(auditEvents))).toBe('42501');
    expect(await refusal(db.execute(sql`truncate audit_events`))).toBe('42501');
    // Pretending to be the retention job does not reach rows of the last day either.
    const [recent] = await db.select().from(auditEvents).limit(1);
    const prune = (cutoff: string) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('fedmcp.audit_prune_before', ${cutoff}, true)`);
        await tx.delete(auditEvents).where(eq(auditEvents.id, recent.id));
      });
    expect(await refusal(prune(new Date(Date.now() + 60_000).toISOString()))).toBe('42501');
    expect(await refusal(prune(new Date(Date.now() - 2 * 86_400_000).toISOString()))).toBe('42501');
    expect(await db.select().from(auditEvents).where(eq(auditEvents.id, recent.id))).toHaveLength(1);
  });

  it('prunes only events older than the retention period', async () => {
    const tool = `old_${unique()}`;
    const day = 86_400_000;
    const row = (id: string, ageDays: number) => ({ id, at: new Date(Date.now() - ageDays * day), tool, outcome: 'ok', principalSub: 'anonymous', principalClientId: 'test', durationMs: 1 });
    await svc.service.db.insert(auditEvents).values([row(`evt_${unique()}a`, 400), row(`evt_${unique()}b`, 31), row(`evt_${unique()}c`, 29), row(`evt_${unique()}d`, 0)]);
    expect(await svc.service.audit.prune(0)).toBe(0); // 0 keeps everything
    expect(await rowsOf(tool)).toHaveLength(4);
    expect(await svc.service.audit.prune(365)).toBeGreaterThanOrEqual(1);
    expect(await rowsOf(tool)).toHaveLength(3);
    await svc.service.audit.prune(30);
    expect((await rowsOf(tool)).map((r) => Math.round((Date.now() - r.at.getTime()) / day)).sort()).toEqual([0, 29]);
  });

  it('keeps at most its bound of rows waiting, counts what it drops, and writes the rest', async () => {
    const tool = `burst_${unique()}`;
    let dropped = 0;
    const maxRows = 50;
    const buffer = new AuditBuffer({ db: svc.service.db, logger: svc.service.logger, dropped: (n) => (dropped += n), size: () => undefined, maxRows });
    const at = new Date();
    // Synchronous: no flush can run in between, so the bound is what decides.
    for (let i = 0; i < maxRows + 5; i++) buffer.append({ id: `evt_${unique()}`, at, tool, outcome: 'ok', principalSub: 's', principalClientId: 'c', onBehalfOfSub: null, onBehalfOfClientId: null, traceId: null, durationMs: 0, resourceIds: [] });
    expect(buffer.pending).toBe(maxRows);
    expect(dropped).toBe(5);
    await buffer.close();
    expect(buffer.pending).toBe(0);
    expect(await rowsOf(tool)).toHaveLength(maxRows);
  });

  it('drops a batch the database refuses (bad data or a broken constraint), counts it, and writes the next', async () => {
    const tool = `refused_${unique()}`;
    let dropped = 0;
    const buffer = new AuditBuffer({ db: svc.service.db, logger: svc.service.logger, dropped: (n) => (dropped += n), size: () => undefined });
    const row = () => ({ id: `evt_${unique()}`, at: new Date(), tool, outcome: 'ok', principalSub: 's', principalClientId: 'c', onBehalfOfSub: null, onBehalfOfClientId: null, traceId: null, durationMs: 0, resourceIds: [] });
    // Rows the types allow only by force, as a bug elsewhere could produce them.
    const refused = [
      { ...row(), outcome: null as unknown as string }, // NOT NULL: 23502
      { ...row(), durationMs: 'soon' as unknown as number }, // not an integer: 22P02
    ];
    for (const bad of refused) {
      buffer.append(bad);
      await buffer.flush();
    }
    expect(dropped).toBe(2);
    expect(buffer.pending).toBe(0); // refused rows do not block the buffer
    buffer.append(row());
    await buffer.close();
    expect(dropped).toBe(2);
    expect(await rowsOf(tool)).toHaveLength(1);
  });
});
