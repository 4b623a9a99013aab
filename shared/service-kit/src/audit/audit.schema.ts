import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per `tools/call` a service served (SPEC "Audit trail"). Every
 * service has this table in its own database: its drizzle config includes
 * this file, so `npm run db:generate` puts the table into the service's own
 * migrations; a second (custom) migration adds the append-only trigger.
 *
 * Only the call's envelope is stored: who, what tool, when, how it ended and
 * which ids it touched. Never arguments, results or error messages (they can
 * carry names, e-mail addresses, payment methods and free text).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    /** `evt_` + ULID: sorts by the time of the call, the keyset of list_audit_events. */
    id: text('event_id').primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    tool: text('tool').notNull(),
    /** `ok` or the SPEC error code the call answered with. */
    outcome: text('outcome').notNull(),
    principalSub: text('principal_sub').notNull(),
    principalClientId: text('principal_client_id').notNull(),
    onBehalfOfSub: text('on_behalf_of_sub'),
    onBehalfOfClientId: text('on_behalf_of_client_id'),
    traceId: text('trace_id'),
    durationMs: integer('duration_ms').notNull(),
    /** Prefixed ids (`ord_…`, `pay_…`) the call read, created or changed. */
    resourceIds: text('resource_ids').array().notNull().default([]),
  },
  (t) => [
    index('audit_events_at_idx').on(t.at),
    index('audit_events_tool_idx').on(t.tool, t.id),
    index('audit_events_principal_sub_idx').on(t.principalSub, t.id),
    index('audit_events_principal_client_idx').on(t.principalClientId, t.id),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
