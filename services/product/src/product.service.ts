import * as path from 'node:path';
import { createService, shouldSeedDemoData } from '@fedmcp/service-kit';
import { schema } from './product.schema';
import { ProductRepository } from './product.repository';
import { ReservationRepository } from './reservation.repository';
import { registerProductTools } from './product.tools';
import { registerProductResources } from './product.resources';
import { seedDemoProducts } from './product.seed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** The product service: config, database, tools, demo data. `start()` serves it. */
export async function createProductService(env?: NodeJS.ProcessEnv) {
  const service = await createService({
    name: 'product',
    version,
    defaultPort: 3003,
    schema,
    migrationsFolder: path.join(__dirname, '..', 'drizzle'),
    instructions:
      'Product catalog and inventory of the commerce platform: create, look up and search products, adjust stock, and hold stock for orders with reservations (reserve_inventory → commit_reservation or release_reservation). Prices are integers in minor units with an ISO-4217 currency.',
    env,
  });
  const products = new ProductRepository(service.db);
  registerProductTools(service, products, new ReservationRepository(service.db));
  registerProductResources(service, products);
  if (shouldSeedDemoData(service)) {
    const seeded = await seedDemoProducts(products);
    if (seeded) service.logger.info('seeded demo products', { count: seeded });
  }
  return service;
}
