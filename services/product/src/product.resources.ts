import { defineResource, z } from '@fedmcp/service-kit';
import { ProductRepository } from './product.repository';
import { ProductContext } from './product.tools';
import { productId, productOutput } from './product.types';

/** Resources: `product://{product_id}` (one product as JSON) and `schema://products`. */
export function registerProductResources(ctx: ProductContext, repo: ProductRepository): void {
  ctx.resource(
    defineResource({
      name: 'product',
      title: 'Product',
      description: 'One catalog product as JSON (price, currency, stock on hand, reserved and available), by id: product://prd_…',
      mimeType: 'application/json',
      uri: 'product://{product_id}',
      list: async () => (await repo.search({ limit: 50 })).items.map((p) => ({ uri: `product://${p.product_id}`, name: `${p.name} (${p.sku})` })),
      variables: z.object({ product_id: productId }),
      read: async (_uri, { product_id }) => (await repo.find(product_id)) ?? undefined,
    }),
  );

  ctx.resource(
    defineResource({
      name: 'products-schema',
      title: 'Product schema',
      description: 'JSON Schema of a product record as the product tools return it.',
      mimeType: 'application/schema+json',
      uri: 'schema://products',
      read: async () => z.toJSONSchema(productOutput),
    }),
  );
}
