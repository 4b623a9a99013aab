import { startInProcess, InProcessService, Page } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';
import { ADJUST_STOCK, COMMIT_RESERVATION, CREATE_PRODUCT, GET_PRODUCT, PRODUCT_TOOLS, RELEASE_RESERVATION, SEARCH_PRODUCTS } from '../src/product.tools';
import type { Product } from '../src/product.repository';
import { getProduct, newProduct, reserve, stockOf, unique } from './helpers';
import { LIST_AUDIT_EVENTS } from '@fedmcp/service-kit';

let svc: InProcessService<Awaited<ReturnType<typeof createProductService>>>;

beforeAll(async () => {
  svc = await startInProcess('product', createProductService);
});
afterAll(() => svc.stop());

type ProductPage = Page<Product>;
type ResourceClient = { readResource(p: { uri: string }): Promise<{ contents: { text?: string; mimeType?: string }[] }> };

async function cacheCount(metric: 'mcp_cache_hits_total' | 'mcp_cache_misses_total'): Promise<number> {
  const values = (await svc.service.metrics.registry.getSingleMetric(metric)!.get()).values;
  return values.filter((v) => v.labels.cache === 'product').reduce((sum, v) => sum + v.value, 0);
}

describe('create_product and get_product', () => {
  it('creates a product with USD by default and returns it with its stock figures', async () => {
    const sku = `MUG-${unique()}`.toUpperCase();
    const result = await svc.client.call<Product>(CREATE_PRODUCT, { sku, name: 'Stoneware mug', description: 'Holds 12 oz', price_cents: 1400, stock: 7 });
    expect(result.isError).toBe(false);
    expect(result.data).toEqual({
      product_id: expect.stringMatching(/^prd_[a-z0-9]+$/),
      sku,
      name: 'Stoneware mug',
      description: 'Holds 12 oz',
      price_cents: 1400,
      currency: 'USD',
      stock_on_hand: 7,
      stock_reserved: 0,
      stock_available: 7,
      active: true,
    });
    expect(await getProduct(svc.client, result.data.product_id)).toEqual(result.data);
  });

  it('keeps a given currency and a null description when none is given', async () => {
    const product = await newProduct(svc.client, { currency: 'EUR', price_cents: 0, stock: 0 });
    expect(product).toMatchObject({ currency: 'EUR', price_cents: 0, description: null, stock_available: 0 });
  });

  it('rejects a duplicate SKU, also in another letter case, with CONFLICT', async () => {
    const product = await newProduct(svc.client);
    const again = await svc.client.call(CREATE_PRODUCT, { sku: product.sku.toLowerCase(), name: 'Copy', price_cents: 1, stock: 1 });
    expect(again.isError).toBe(true);
    expect(again.error).toMatchObject({ code: 'CONFLICT', details: { field: 'sku' } });
    expect(again.error!.message).toContain('search_products');
  });

  it.each([
    ['a negative price', { price_cents: -1 }, 'price_cents'],
    ['a fractional price', { price_cents: 12.5 }, 'price_cents'],
    ['a price given as a string', { price_cents: '1250' }, 'price_cents'],
    ['an unknown currency', { currency: 'XYZ' }, 'currency'],
    ['a lower-case currency', { currency: 'usd' }, 'currency'],
    ['negative stock', { stock: -3 }, 'stock'],
    ['an empty name', { name: '  ' }, 'name'],
    ['a SKU with spaces', { sku: 'HAS SPACE' }, 'sku'],
    ['an unknown field', { colour: 'red' }, 'colour'],
  ])('rejects %s with VALIDATION_ERROR naming the field', async (_what, override, path) => {
    const result = await svc.client.call(CREATE_PRODUCT, { sku: `V-${unique()}`, name: 'Widget', price_cents: 100, stock: 1, ...override });
    expect(result.isError).toBe(true);
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
  });

  it('answers NOT_FOUND for an unknown product id and VALIDATION_ERROR for a malformed one', async () => {
    const missing = await svc.client.call(GET_PRODUCT, { product_id: 'prd_doesnotexist' });
    expect(missing.error).toMatchObject({ code: 'NOT_FOUND', details: { id: 'prd_doesnotexist' } });
    const malformed = await svc.client.call(GET_PRODUCT, { product_id: 'cus_123' });
    expect(malformed.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'product_id' } });
  });

  it.each([
    ['a NUL in the name', { name: 'Mug\u0000' }, 'name'],
    ['a NUL in the description', { description: 'Blue\u0000mug' }, 'description'],
    ['a lone surrogate in the description', { description: 'Blue \uDC00' }, 'description'],
  ])('refuses %s with VALIDATION_ERROR, not INTERNAL (regression), and stores nothing', async (_what, override, path) => {
    const sku = `NUL-${unique()}`;
    const result = await svc.client.call(CREATE_PRODUCT, { sku, name: 'Mug', price_cents: 100, stock: 1, ...override });
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
    expect((await svc.client.ok<ProductPage>(SEARCH_PRODUCTS, { query: sku })).items).toEqual([]);
  });

  it('keeps tabs and line breaks in a description, and refuses a NUL in a search query', async () => {
    const product = await newProduct(svc.client, { description: 'line 1\n\tline 2\r\nend' });
    expect((await getProduct(svc.client, product.product_id)).description).toBe('line 1\n\tline 2\r\nend');
    const search = await svc.client.call(SEARCH_PRODUCTS, { query: 'mug\u0000' });
    expect(search.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path: 'query' } });
  });
});

describe('get_product cache', () => {
  it('serves the second read from the cache', async () => {
    const product = await newProduct(svc.client);
    await getProduct(svc.client, product.product_id);
    const hits = await cacheCount('mcp_cache_hits_total');
    await getProduct(svc.client, product.product_id);
    expect(await cacheCount('mcp_cache_hits_total')).toBe(hits + 1);
  });

  it('shows a stock change on the very next read (adjust and reserve invalidate)', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    await getProduct(svc.client, product.product_id);
    await getProduct(svc.client, product.product_id); // cached now
    await svc.client.call(ADJUST_STOCK, { product_id: product.product_id, delta: 5, reason: 'restock' });
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 15, stock_reserved: 0, stock_available: 15 });
    await reserve(svc.client, [{ product_id: product.product_id, quantity: 4 }]);
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 15, stock_reserved: 4, stock_available: 11 });
  });

  it('shows commit and release on the very next read', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    const committed = await reserve(svc.client, [{ product_id: product.product_id, quantity: 3 }]);
    const held = await reserve(svc.client, [{ product_id: product.product_id, quantity: 2 }]);
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 5, stock_available: 5 });
    await svc.client.call(COMMIT_RESERVATION, { reservation_id: committed.reservation_id });
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 7, stock_reserved: 2, stock_available: 5 });
    await svc.client.call(RELEASE_RESERVATION, { reservation_id: held.reservation_id });
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 7, stock_reserved: 0, stock_available: 7 });
    await svc.client.call(RELEASE_RESERVATION, { reservation_id: committed.reservation_id });
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 0, stock_available: 10 });
  });
});

describe('adjust_stock', () => {
  it('adds and removes units and returns the updated product', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    const up = await svc.client.call<Product>(ADJUST_STOCK, { product_id: product.product_id, delta: 15, reason: 'restock from PO-1042' });
    expect(up.data).toMatchObject({ stock_on_hand: 25, stock_available: 25 });
    const down = await svc.client.call<Product>(ADJUST_STOCK, { product_id: product.product_id, delta: -25, reason: 'water damage' });
    expect(down.data).toMatchObject({ stock_on_hand: 0, stock_available: 0 });
  });

  it('refuses to go below reserved stock with CONFLICT and changes nothing', async () => {
    const product = await newProduct(svc.client, { stock: 10 });
    await reserve(svc.client, [{ product_id: product.product_id, quantity: 6 }]);
    const result = await svc.client.call(ADJUST_STOCK, { product_id: product.product_id, delta: -5, reason: 'count correction' });
    expect(result.isError).toBe(true);
    expect(result.error).toMatchObject({ code: 'CONFLICT', details: { stock_on_hand: 10, stock_reserved: 6, stock_available: 4 } });
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 10, stock_reserved: 6, stock_available: 4 });
    const exact = await svc.client.call<Product>(ADJUST_STOCK, { product_id: product.product_id, delta: -4, reason: 'count correction' });
    expect(exact.data).toMatchObject({ stock_on_hand: 6, stock_reserved: 6, stock_available: 0 });
  });

  it('refuses to go below zero with CONFLICT', async () => {
    const product = await newProduct(svc.client, { stock: 2 });
    const result = await svc.client.call(ADJUST_STOCK, { product_id: product.product_id, delta: -3, reason: 'shrinkage' });
    expect(result.error?.code).toBe('CONFLICT');
    expect(await stockOf(svc.client, product.product_id)).toEqual({ stock_on_hand: 2, stock_reserved: 0, stock_available: 2 });
  });

  it.each([
    ['a zero delta', { delta: 0 }, 'delta'],
    ['a fractional delta', { delta: 1.5 }, 'delta'],
    ['a missing reason', { reason: undefined }, 'reason'],
  ])('rejects %s with VALIDATION_ERROR', async (_what, override, path) => {
    const args = { product_id: 'prd_whatever', delta: 1, reason: 'r', ...override };
    const result = await svc.client.call(ADJUST_STOCK, JSON.parse(JSON.stringify(args)));
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
  });

  it('answers NOT_FOUND for an unknown product', async () => {
    const result = await svc.client.call(ADJUST_STOCK, { product_id: 'prd_nosuchthing', delta: 1, reason: 'restock' });
    expect(result.error?.code).toBe('NOT_FOUND');
  });
});

describe('search_products', () => {
  const tag = `t_${unique()}`;
  const created: Product[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) created.push(await newProduct(svc.client, { name: `Lantern ${tag} ${i}`, stock: i === 2 ? 0 : 3 }));
    created.push(await newProduct(svc.client, { name: 'Plain thing', description: `mentions ${tag.toUpperCase()} in the description` }));
  });

  async function allPages(args: Record<string, unknown>): Promise<Product[][]> {
    return (await svc.client.pages<Product>(SEARCH_PRODUCTS, args)).map((page) => page.items);
  }

  it('pages through matches of name or description, case-insensitively, without repeats', async () => {
    const pages = await allPages({ query: tag.toUpperCase(), limit: 4 });
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    expect(pages.flat().map((p) => p.product_id)).toEqual(created.map((p) => p.product_id));
  });

  it('matches a SKU substring', async () => {
    const result = await svc.client.call<ProductPage>(SEARCH_PRODUCTS, { query: created[3].sku.slice(4).toLowerCase() });
    expect(result.data.items.map((p) => p.product_id)).toEqual([created[3].product_id]);
  });

  it('keeps only products with available stock when in_stock_only is set', async () => {
    const result = await svc.client.call<ProductPage>(SEARCH_PRODUCTS, { query: `Lantern ${tag}`, in_stock_only: true });
    expect(result.data.items.map((p) => p.name)).toEqual([0, 1, 3, 4].map((i) => `Lantern ${tag} ${i}`));
    expect(result.data.next_cursor).toBeNull();
  });

  it('treats LIKE wildcards in the query literally', async () => {
    const result = await svc.client.call<ProductPage>(SEARCH_PRODUCTS, { query: `${tag}%_` });
    expect(result.data.items).toEqual([]);
  });

  it.each([
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit above 100', { limit: 101 }, 'limit'],
    ['a cursor it did not issue', { cursor: 'bm90LWEtY3Vyc29y.abcdefghijklmnop' }, 'cursor'],
  ])('rejects %s with VALIDATION_ERROR', async (_what, args, path) => {
    const result = await svc.client.call(SEARCH_PRODUCTS, args);
    expect(result.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { path } });
  });
});

describe('MCP surface', () => {
  it('lists every tool with title, description, output schema and annotations', async () => {
    const tools = await svc.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...PRODUCT_TOOLS, LIST_AUDIT_EVENTS].sort());
    for (const tool of tools) {
      expect(tool.title).toBeTruthy();
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.outputSchema).toBeDefined();
      expect(tool.annotations).toMatchObject({ openWorldHint: false, readOnlyHint: expect.any(Boolean) });
    }
  });

  it('serves a product as a product:// resource and the product JSON Schema', async () => {
    const product = await newProduct(svc.client);
    const raw = svc.client.raw as unknown as ResourceClient;
    const read = await raw.readResource({ uri: `product://${product.product_id}` });
    expect(JSON.parse(read.contents[0].text!)).toEqual(product);
    const schema = JSON.parse((await raw.readResource({ uri: 'schema://products' })).contents[0].text!);
    expect(schema.properties).toHaveProperty('stock_available');
    expect(schema.required).toContain('price_cents');
  });

  it('works for a v1 SDK client: list tools and call one', async () => {
    const v1 = await svc.connect('v1');
    expect((await v1.listTools()).map((t) => t.name)).toContain(GET_PRODUCT);
    const product = await newProduct(v1, { stock: 3 });
    const fetched = await v1.call<Product>(GET_PRODUCT, { product_id: product.product_id });
    expect(fetched.data).toMatchObject({ product_id: product.product_id, stock_available: 3 });
    const failed = await v1.call(GET_PRODUCT, { product_id: 'prd_missing' });
    expect(failed).toMatchObject({ isError: true, error: { code: 'NOT_FOUND' } });
  });
});
