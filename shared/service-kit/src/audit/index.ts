export { auditEvents } from './audit.schema';
export type { AuditEventRow } from './audit.schema';
export { AUDIT_BUFFER_MAX_ROWS, AUDIT_BATCH_ROWS, AUDIT_FLUSH_DELAY_MS } from './audit-buffer';
export { plainTransaction, MAX_RESOURCE_IDS } from './audit-call';
export type { Transact, Touch, AuditPrincipal } from './audit-call';
export { AuditTrail, AUDIT_PRUNE_BATCH_ROWS, AUDIT_PRUNE_INTERVAL_MS } from './audit-trail';
export type { AuditEvent, AuditFilter } from './audit-trail';
export { LIST_AUDIT_EVENTS, auditEventOutput, listAuditEventsInput } from './audit.tool';
