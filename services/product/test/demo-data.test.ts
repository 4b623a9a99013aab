import { startInProcess, InProcessService } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';
import { SEARCH_PRODUCTS } from '../src/product.tools';
import type { Product } from '../src/product.repository';

let svc: InProcessService<Awaited<ReturnType<typeof createProductService>>>;

beforeAll(async () => {
  svc = await startInProcess('product', createProductService, { SEED_DEMO_DATA: 'true' });
});
afterAll(() => svc.stop());

async function everything(args: Record<string, unknown> = {}): Promise<Product[]> {
  return (await svc.client.pages<Product>(SEARCH_PRODUCTS, { ...args, limit: 100 })).flatMap((page) => page.items);
}

describe('demo data', () => {
  it('seeds about a hundred products, some sold out, some nearly gone, two discontinued', async () => {
    const products = await everything();
    expect(products).toHaveLength(100);
    expect(new Set(products.map((p) => p.sku)).size).toBe(100);
    expect(products.filter((p) => p.stock_on_hand === 0).length).toBeGreaterThanOrEqual(3);
    expect(products.filter((p) => p.stock_on_hand >= 1 && p.stock_on_hand <= 5).length).toBeGreaterThanOrEqual(2);
    expect(products.filter((p) => !p.active)).toHaveLength(2);
    expect(products.every((p) => Number.isInteger(p.price_cents) && p.price_cents > 0 && p.currency === 'USD' && p.description)).toBe(true);
  });

  it('finds demo products by text and leaves sold-out ones out of in_stock_only', async () => {
    const mugs = await everything({ query: 'mug' });
    expect(mugs.length).toBeGreaterThanOrEqual(5);
    const inStock = await everything({ in_stock_only: true });
    expect(inStock.every((p) => p.stock_available > 0 && p.active)).toBe(true);
    expect(inStock.length).toBeLessThan(100);
  });
});
