import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/payment.schema.ts',
  out: './drizzle',
});
