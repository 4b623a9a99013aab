import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/customer.schema.ts',
  out: './drizzle',
});
