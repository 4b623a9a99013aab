import { defineTool, notFound, ServiceContext } from '@fedmcp/service-kit';
import { Product, ProductRepository, SEARCH_HINT } from './product.repository';
import { ReservationChange, ReservationRepository } from './reservation.repository';
import {
  adjustStockInput,
  createProductInput,
  getProductInput,
  listReservationsInput,
  productOutput,
  productPage,
  reservationInput,
  reservationOutput,
  reservationPage,
  reserveInventoryInput,
  searchProductsInput,
} from './product.types';
import type { schema } from './product.schema';

export const CREATE_PRODUCT = 'create_product';
export const GET_PRODUCT = 'get_product';
export const SEARCH_PRODUCTS = 'search_products';
export const ADJUST_STOCK = 'adjust_stock';
export const RESERVE_INVENTORY = 'reserve_inventory';
export const RELEASE_RESERVATION = 'release_reservation';
export const COMMIT_RESERVATION = 'commit_reservation';
export const LIST_RESERVATIONS = 'list_reservations';
export const PRODUCT_TOOLS = [CREATE_PRODUCT, GET_PRODUCT, SEARCH_PRODUCTS, ADJUST_STOCK, RESERVE_INVENTORY, RELEASE_RESERVATION, COMMIT_RESERVATION, LIST_RESERVATIONS] as const;

/** Cache name for single products (`product:product:<id>`). */
export const PRODUCT_CACHE = 'product';

export type ProductContext = ServiceContext<typeof schema, unknown>;

/** Reads one product through the cache. */
export async function loadProduct(ctx: ProductContext, repo: ProductRepository, id: string): Promise<Product> {
  const product = await ctx.cache.getOrLoad(PRODUCT_CACHE, id, () => repo.find(id));
  if (!product) throw notFound('product', id, SEARCH_HINT);
  return product;
}

/** Every stock change drops the cached copies of the products it touched (after the transaction committed). */
async function invalidate(ctx: ProductContext, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => ctx.cache.invalidate(PRODUCT_CACHE, id)));
}

export function registerProductTools(ctx: ProductContext, products: ProductRepository, reservations: ReservationRepository): void {
  const settle = async (change: ReservationChange) => {
    await invalidate(ctx, change.touched);
    return change.reservation;
  };

  ctx.tool(
    defineTool({
      name: CREATE_PRODUCT,
      scope: 'product:write',
      title: 'Create product',
      description:
        'Add a product to the catalog with its initial stock. price_cents is an integer in minor units (1999 = $19.99), currency an ISO-4217 code (default "USD"), stock the units on hand. SKUs are unique (case-insensitive): a duplicate fails with CONFLICT. Returns the product with its product_id (prd_…).',
      input: createProductInput,
      output: productOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      handler: (input, { transaction }) => products.create(input, transaction),
    }),
  );

  ctx.tool(
    defineTool({
      name: GET_PRODUCT,
      scope: 'product:read',
      title: 'Get product',
      description:
        'Fetch one product by product_id (prd_…): sku, name, description, price_cents, currency, stock_on_hand, stock_reserved, stock_available (what can still be ordered) and active. Use search_products first if you only know a name or SKU. Unknown ids fail with NOT_FOUND.',
      input: getProductInput,
      output: productOutput,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: ({ product_id }) => loadProduct(ctx, products, product_id),
    }),
  );

  ctx.tool(
    defineTool({
      name: SEARCH_PRODUCTS,
      scope: 'product:read',
      title: 'Search products',
      description:
        'List catalog products, optionally filtered by a case-insensitive substring of name, SKU or description (query); in_stock_only: true keeps only active products with stock_available > 0. Paginated: pass limit (1-100, default 20) and, for the next page, the next_cursor of the previous result; next_cursor is null on the last page.',
      input: searchProductsInput,
      output: productPage,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async (input, { touch }) => {
        const page = await products.search(input);
        touch(...page.items.map((p) => p.product_id));
        return page;
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: ADJUST_STOCK,
      scope: 'product:write',
      title: 'Adjust stock',
      description:
        'Change a product\'s stock on hand by delta units with a reason: positive to restock, negative for shrinkage, damage or corrections. Not for orders (use reserve_inventory). Stock on hand may not drop below the units currently reserved: such a delta fails with CONFLICT (details show on hand, reserved and available) and nothing changes. Not idempotent: each call applies its delta again. Returns the updated product.',
      input: adjustStockInput,
      output: productOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      handler: async ({ product_id, delta, reason }, { transaction }) => {
        const product = await products.adjustStock(product_id, delta, reason, transaction);
        await invalidate(ctx, [product_id]);
        return product;
      },
    }),
  );

  ctx.tool(
    defineTool({
      name: RESERVE_INVENTORY,
      scope: 'inventory:reserve',
      title: 'Reserve inventory',
      description:
        'Hold stock for an order: every line or none. Each product_id may appear once (repeated ids fail with VALIDATION_ERROR; add the quantities up). Returns the reservation {reservation_id (res_…), order_id, status: "held", lines with unit_price_cents and currency at this moment, total_cents, currency}. ' +
        'Idempotent per order_id: calling again with the same order_id returns the same reservation (whatever its status now) and holds nothing extra, so retries are safe. ' +
        'Errors (nothing is held): INSUFFICIENT_STOCK with details.lines = [{product_id, requested, available}] for the short lines; NOT_FOUND naming unknown product ids; CONFLICT for a discontinued (inactive) product; VALIDATION_ERROR when products have different currencies. ' +
        'Follow up with commit_reservation once the order is paid, or release_reservation if it is abandoned.',
      input: reserveInventoryInput,
      output: reservationOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      handler: async ({ order_id, items }, { transaction }) => settle(await reservations.reserve(order_id, items, transaction)),
    }),
  );

  ctx.tool(
    defineTool({
      name: RELEASE_RESERVATION,
      scope: 'inventory:reserve',
      title: 'Release reservation',
      description:
        'Give a reservation\'s stock back and mark it "released". A held reservation returns its reserved units to stock_available. A committed reservation (e.g. the order was confirmed and is now cancelled) puts its units back on hand (a restock). Idempotent: releasing a released reservation returns it unchanged. Unknown reservation_id fails with NOT_FOUND. Returns the reservation.',
      input: reservationInput,
      output: reservationOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      handler: async ({ reservation_id }, { transaction }) => settle(await reservations.release(reservation_id, transaction)),
    }),
  );

  ctx.tool(
    defineTool({
      name: COMMIT_RESERVATION,
      scope: 'inventory:reserve',
      title: 'Commit reservation',
      description:
        'Finalise a held reservation when its order is confirmed: the units leave stock on hand and stop being reserved; status becomes "committed". Idempotent: committing a committed reservation returns it unchanged. A released reservation cannot be committed (CONFLICT: reserve again instead). Unknown reservation_id fails with NOT_FOUND. Returns the reservation.',
      input: reservationInput,
      output: reservationOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      handler: async ({ reservation_id }, { transaction }) => settle(await reservations.commit(reservation_id, transaction)),
    }),
  );

  ctx.tool(
    defineTool({
      name: LIST_RESERVATIONS,
      scope: 'product:read',
      title: 'List reservations',
      description:
        'List stock reservations, oldest first, optionally only the one of an order_id and/or those in one status (held, committed, released), each with its lines. Use it to audit where stock went (e.g. reservations still held). Paginated: limit 1-100 (default 20); pass next_cursor from the previous page to continue; null means the last page.',
      input: listReservationsInput,
      output: reservationPage,
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: async (input, { touch }) => {
        const page = await reservations.list(input);
        touch(...page.items.map((r) => r.reservation_id));
        return page;
      },
    }),
  );
}
