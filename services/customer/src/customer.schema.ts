import { pgTable, text, timestamp, index, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

export const CUSTOMER_TIERS = ['free', 'pro', 'enterprise'] as const;
export const CUSTOMER_STATUSES = ['active', 'inactive', 'suspended'] as const;

export const customers = pgTable(
  'customers',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    tier: text('tier', { enum: CUSTOMER_TIERS }).notNull().default('free'),
    status: text('status', { enum: CUSTOMER_STATUSES }).notNull().default('active'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // Case-insensitive uniqueness: the database is the arbiter, also under races.
    uniqueIndex('customers_email_lower_idx').on(sql`lower(${t.email})`),
    index('customers_tier_idx').on(t.tier),
    index('customers_status_idx').on(t.status),
  ],
);

export const schema = { customers };
export type CustomerRow = typeof customers.$inferSelect;
