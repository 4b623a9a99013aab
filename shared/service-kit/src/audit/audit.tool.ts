import { z } from 'zod';
import { defineTool, ToolDefinition } from '../tools';
import { isoTime, pageInput, pageOf } from '../schemas';
import type { AuditTrail } from './audit-trail';

export const LIST_AUDIT_EVENTS = 'list_audit_events';

const party = z.object({ sub: z.string(), client_id: z.string() });

export const auditEventOutput = z.object({
  event_id: z.string().describe('evt_… id; events sort by it, newest first'),
  at: isoTime.describe('When the call started (ISO-8601)'),
  tool: z.string(),
  outcome: z.string().describe('"ok" or the error code the call answered with'),
  principal: party.describe('Who called: the token subject and client (open mode: "anonymous" and the client address)'),
  on_behalf_of: party.nullable().describe('The user a service called for (from _meta "io.fedmcp/on_behalf_of"), or null'),
  trace_id: z.string().nullable().describe('Trace id of the call (find it in the tracing backend)'),
  duration_ms: z.number().int(),
  resource_ids: z.array(z.string()).describe('Ids the call read, created or changed (ord_…, pay_…, …)'),
});

export const listAuditEventsInput = z.strictObject({
  tool: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a tool name such as "create_order"')
    .optional()
    .describe('Only calls of this tool'),
  principal: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
    .optional()
    .describe('Only calls whose principal has this sub or this client_id'),
  since: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 time such as "2026-01-31T12:00:00Z"' })
    .optional()
    .describe('Only calls at or after this ISO-8601 time'),
  ...pageInput,
});

/** `list_audit_events`: registered by the kit on every service. */
export function listAuditEventsTool(trail: AuditTrail): ToolDefinition {
  return defineTool({
    name: LIST_AUDIT_EVENTS,
    title: 'List audit events',
    description:
      'The audit trail of this server: one event per tool call it served, newest first, with who called (principal sub and client_id, and on_behalf_of when another service called for a user), the tool, the outcome ("ok" or the error code), trace_id, duration_ms and the ids the call touched. ' +
      'Arguments, results and personal data are never stored. Filter by tool, principal (matches sub or client_id) and since (ISO-8601 time). Paginated: limit 1-100 (default 20); pass next_cursor from the previous page to continue; null means the last page.',
    input: listAuditEventsInput,
    output: pageOf(auditEventOutput),
    annotations: { readOnlyHint: true, idempotentHint: true },
    scope: 'audit:read',
    handler: (input) => trail.list(input),
  }) as unknown as ToolDefinition;
}
