import { z } from 'zod';
import { text } from './text';

/** ISO-4217 codes known to this runtime's ICU data. */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/** An id of one type: `idOf('cus', 'customer')` accepts `cus_…`. */
export function idOf(prefix: string, what: string) {
  return z
    .string()
    .min(1, `${what} id is required`)
    .max(64)
    .regex(new RegExp(`^${prefix}_[a-z0-9]+$`), `must be a ${what} id like "${prefix}_…"`)
    .describe(`Opaque ${what} id (prefix "${prefix}_")`);
}

/** Three-letter ISO-4217 currency code, upper case; defaults to USD. */
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an upper-case ISO-4217 code such as "USD"')
  .refine(isCurrency, 'is not a known ISO-4217 currency code')
  .describe('ISO-4217 currency code, e.g. "USD" (default)');

/** Money in minor units (cents). Integers only: never floats. */
export const amountCents = z.number().int('must be an integer number of minor units (cents)').min(0).max(1_000_000_000_00);

/** A strictly positive amount in minor units (payments, refunds). */
export const positiveAmountCents = amountCents.min(1, 'must be at least 1 (minor units)');

export const limit = z
  .number()
  .int()
  .min(1, 'must be at least 1')
  .max(100, 'must be at most 100')
  .default(20)
  .describe('Page size, 1-100 (default 20)');

export const cursor = text({ max: 512, trim: false }).describe('Opaque cursor from a previous page\'s next_cursor');

/** Page input fields shared by every list tool. */
export const pageInput = { limit, cursor: cursor.optional() };

/** The page shape every list tool returns. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** ISO-8601 timestamp string. */
export const isoTime = z.string().describe('ISO-8601 timestamp');
