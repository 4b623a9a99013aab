import { sql } from 'drizzle-orm';
import { cleanText, fc, fuzzEveryTool, fuzzParameters, InProcessService, startInProcess, tableCounts, unique } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';
import { CREATE_PRODUCT, GET_PRODUCT, PRODUCT_TOOLS } from '../src/product.tools';
import type { Product } from '../src/product.repository';

/** Property-based fuzzing of every product tool (open mode: no AUTH_ISSUER, so no token is needed). */

let svc: InProcessService<Awaited<ReturnType<typeof createProductService>>>;

beforeAll(async () => {
  svc = await startInProcess('product', createProductService, { RATE_LIMIT_PER_MINUTE: '0' });
}, 60_000);
afterAll(() => svc?.stop());

const RUNS = 30;
const ROUND_TRIPS = 40;

describe('every product tool, arguments generated from its advertised input schema', () => {
  fuzzEveryTool({
    tools: PRODUCT_TOOLS,
    client: () => svc.client,
    runs: RUNS,
    state: () => tableCounts((text) => svc.service.db.execute(sql.raw(text))),
  });
});

/** Free text may keep tabs and line breaks inside (not at the ends: text is trimmed). */
const description = fc.tuple(cleanText(1, 900), fc.constantFrom('\n', '\t', '\r\n', ' '), cleanText(1, 900)).map(([a, sep, b]) => `${a}${sep}${b}`);

describe('what you write is what you read back, byte for byte', () => {
  it(`create_product then get_product: ${ROUND_TRIPS} runs`, async () => {
    const property = fc.asyncProperty(
      cleanText(1, 200),
      fc.option(description, { nil: undefined }),
      fc.integer({ min: 0, max: 1_000_000_000_00 }),
      fc.constantFrom('USD', 'EUR', 'JPY', 'BHD'),
      fc.integer({ min: 0, max: 1_000_000_000 }),
      async (name, text, price, currency, stock) => {
        const sku = `FZ-${unique()}`.toUpperCase();
        const created = await svc.client.ok<Product>(CREATE_PRODUCT, { sku, name, price_cents: price, currency, stock, ...(text === undefined ? {} : { description: text }) });
        expect(created).toMatchObject({ sku, name, description: text ?? null, price_cents: price, currency, stock_on_hand: stock });
        expect(await svc.client.ok<Product>(GET_PRODUCT, { product_id: created.product_id })).toEqual(created);
      },
    );
    await fc.assert(property, fuzzParameters(ROUND_TRIPS));
  }, 120_000);
});
