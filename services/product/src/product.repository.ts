import { and, eq, ilike, or, sql, SQL } from 'drizzle-orm';
import { AppDatabase, CursorCodec, keysetPage, conflict, isUniqueViolation, likePattern, newId, notFound, Transact } from '@fedmcp/service-kit';
import { ProductRow, products, schema, stockAdjustments } from './product.schema';
import { MAX_STOCK } from './product.types';

/** The product as tools return it. */
export interface Product {
  product_id: string;
  sku: string;
  name: string;
  description: string | null;
  price_cents: number;
  currency: string;
  stock_on_hand: number;
  stock_reserved: number;
  stock_available: number;
  active: boolean;
}

export function toProduct(row: ProductRow): Product {
  return {
    product_id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    price_cents: Number(row.priceCents),
    currency: row.currency,
    stock_on_hand: row.stockOnHand,
    stock_reserved: row.stockReserved,
    stock_available: row.stockOnHand - row.stockReserved,
    active: row.active,
  };
}

export const SEARCH_HINT = 'Use search_products to find valid ids.';

export interface NewProduct {
  sku: string;
  name: string;
  description?: string;
  price_cents: number;
  currency?: string;
  stock: number;
  active?: boolean;
}

export interface ProductSearch {
  query?: string;
  in_stock_only?: boolean;
  limit: number;
  cursor?: string;
}

const toRow = (p: NewProduct) => ({
  id: newId('prd'),
  sku: p.sku,
  name: p.name,
  description: p.description ?? null,
  priceCents: p.price_cents,
  currency: p.currency ?? 'USD',
  stockOnHand: p.stock,
  active: p.active ?? true,
});

export class ProductRepository {
  private readonly cursors = new CursorCodec('product:search');

  constructor(private readonly db: AppDatabase<typeof schema>) {}

  /** Writes go through `transact` (the tool's audited transaction). */
  async create(input: NewProduct, transact: Transact): Promise<Product> {
    try {
      return await transact(async (tx, touch) => {
        const [row] = await tx.insert(products).values(toRow(input)).returning();
        touch(row.id);
        return toProduct(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict(`A product with SKU "${input.sku}" already exists (SKUs are unique, case-insensitive). Use search_products with query "${input.sku}" to find it, or pick another SKU.`, { field: 'sku', sku: input.sku });
      }
      throw error;
    }
  }

  async find(id: string): Promise<Product | undefined> {
    const [row] = await this.db.select().from(products).where(eq(products.id, id)).limit(1);
    return row ? toProduct(row) : undefined;
  }

  async search(input: ProductSearch): Promise<{ items: Product[]; next_cursor: string | null }> {
    const pattern = input.query ? likePattern(input.query) : undefined;
    const filters: (SQL | undefined)[] = [
      pattern ? or(ilike(products.name, pattern), ilike(products.sku, pattern), ilike(products.description, pattern)) : undefined,
      input.in_stock_only ? and(eq(products.active, true), sql`${products.stockOnHand} - ${products.stockReserved} > 0`) : undefined,
    ];
    return keysetPage(this.db, products, filters, input, this.cursors, toProduct);
  }

  /**
   * Adds `delta` to stock on hand in one conditional UPDATE, so it cannot
   * drop below what is reserved even while reservations run concurrently.
   */
  async adjustStock(id: string, delta: number, reason: string, transact: Transact): Promise<Product> {
    return transact(async (tx, touch) => {
      const [row] = await tx
        .update(products)
        .set({ stockOnHand: sql`${products.stockOnHand} + ${delta}`, updatedAt: sql`now()` })
        .where(and(eq(products.id, id), sql`${products.stockOnHand} + ${delta} >= ${products.stockReserved}`, sql`${products.stockOnHand} + ${delta} <= ${MAX_STOCK}`))
        .returning();
      if (!row) {
        const [current] = await tx.select().from(products).where(eq(products.id, id)).limit(1);
        if (!current) throw notFound('product', id, SEARCH_HINT);
        const now = toProduct(current);
        const details = { product_id: id, delta, stock_on_hand: now.stock_on_hand, stock_reserved: now.stock_reserved, stock_available: now.stock_available };
        if (now.stock_on_hand + delta > MAX_STOCK) throw conflict(`Stock on hand would exceed ${MAX_STOCK} units; use a smaller delta.`, details);
        throw conflict(
          `Cannot remove ${-delta} units: ${now.stock_on_hand} on hand of which ${now.stock_reserved} are reserved, so at most ${now.stock_available} can be removed (delta >= ${-now.stock_available}). Release or commit reservations first, or use a smaller delta. Nothing was changed.`,
          details,
        );
      }
      const adjustment = newId('adj');
      await tx.insert(stockAdjustments).values({ id: adjustment, productId: id, delta, reason, stockOnHandAfter: row.stockOnHand });
      touch(id, adjustment);
      return toProduct(row);
    });
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(products);
    return Number(row.n);
  }

  async insertMany(rows: NewProduct[]): Promise<void> {
    await this.db.insert(products).values(rows.map(toRow));
  }
}
