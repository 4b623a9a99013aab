import * as path from 'node:path';
import { defineConfig } from 'drizzle-kit';

// The audit_events table is defined once in the kit; this service's migrations create its own copy.
const auditSchema = path.join(path.dirname(require.resolve('@fedmcp/service-kit/package.json')), 'src/audit/audit.schema.ts');

export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/order.schema.ts', auditSchema],
  out: './drizzle',
});
