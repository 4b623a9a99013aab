import { z, idOf, pageInput, pageOf, currency, amountCents, text, freeText, searchQuery } from '@fedmcp/service-kit';
import { RESERVATION_STATUSES } from './product.schema';

/** Upper bound of stock per product (fits the integer columns with room for adjustments). */
export const MAX_STOCK = 1_000_000_000;
/** Upper bound of units of one product in one reservation. */
export const MAX_QUANTITY = 100_000;

export const productId = idOf('prd', 'product');
export const orderId = idOf('ord', 'order');
export const reservationId = idOf('res', 'reservation');

const sku = text({ max: 64 })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'may contain only letters, digits and . _ - / (e.g. "KIT-MUG-12OZ-BLK")')
  .describe('Stock-keeping unit, unique (case-insensitive), e.g. "KIT-MUG-12OZ-BLK"');
const name = text({ max: 200 }).describe('Product name');
const description = freeText({ max: 2000, min: 0 }).describe('Free-text product description');
const stock = z.number().int('must be a whole number of units').min(0, 'must be 0 or more').max(MAX_STOCK);

export const productOutput = z.object({
  product_id: z.string(),
  sku: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  price_cents: z.number().int().describe('Unit price in minor units (cents)'),
  currency: z.string().describe('ISO-4217 currency of price_cents'),
  stock_on_hand: z.number().int().describe('Units physically in stock (including reserved ones)'),
  stock_reserved: z.number().int().describe('Units held by open reservations'),
  stock_available: z.number().int().describe('Units that can still be reserved: stock_on_hand - stock_reserved'),
  active: z.boolean().describe('Inactive (discontinued) products cannot be reserved'),
});

export const createProductInput = z.strictObject({
  sku,
  name,
  description: description.optional(),
  price_cents: amountCents.describe('Unit price in minor units (cents), integer >= 0, e.g. 1999 for $19.99'),
  currency: currency.optional(),
  stock: stock.describe('Initial units on hand, integer >= 0'),
});
export const getProductInput = z.strictObject({ product_id: productId });
export const searchProductsInput = z.strictObject({
  query: searchQuery.optional().describe('Case-insensitive substring of name, sku or description'),
  in_stock_only: z.boolean().optional().describe('true = only active products with stock_available > 0'),
  ...pageInput,
});
export const adjustStockInput = z.strictObject({
  product_id: productId,
  delta: z
    .number()
    .int('must be a whole number of units')
    .min(-MAX_STOCK)
    .max(MAX_STOCK)
    .refine((d) => d !== 0, 'must not be 0: positive adds units (restock), negative removes them (shrinkage, damage)')
    .describe('Units to add (positive) or remove (negative); non-zero integer'),
  reason: freeText({ max: 500 }).describe('Why the stock changes, e.g. "restock from supplier PO-1042" or "damaged in warehouse"'),
});

const reservationItem = z.strictObject({
  product_id: productId,
  quantity: z.number().int('must be a whole number of units').min(1, 'must be at least 1').max(MAX_QUANTITY).describe(`Units to hold, 1-${MAX_QUANTITY}`),
});

export const reserveInventoryInput = z.strictObject({
  order_id: orderId,
  items: z
    .array(reservationItem)
    .min(1, 'a reservation needs at least one item')
    .max(100)
    .refine((items) => new Set(items.map((i) => i.product_id)).size === items.length, 'each product_id may appear only once; add up the quantities instead')
    .describe('Products and quantities to hold, each product_id once'),
});
export const reservationInput = z.strictObject({ reservation_id: reservationId });

export const reservationOutput = z.object({
  reservation_id: z.string(),
  order_id: z.string(),
  status: z.enum(RESERVATION_STATUSES).describe('held (stock set aside), committed (stock shipped out of on-hand) or released (stock given back)'),
  lines: z.array(
    z.object({
      product_id: z.string(),
      quantity: z.number().int(),
      unit_price_cents: z.number().int().describe('Unit price at reservation time, minor units'),
      currency: z.string(),
    }),
  ),
  total_cents: z.number().int().describe('Sum of quantity x unit_price_cents, minor units'),
  currency: z.string().describe('ISO-4217 currency of every line and the total'),
});

export const productPage = pageOf(productOutput);
export const listReservationsInput = z.strictObject({
  order_id: orderId.optional().describe('Only the reservation of this order'),
  status: z.enum(RESERVATION_STATUSES).optional().describe('Only reservations in this status: held, committed or released'),
  ...pageInput,
});
export const reservationPage = pageOf(reservationOutput);
export type ReserveItem = z.output<typeof reservationItem>;
