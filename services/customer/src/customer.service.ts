import * as path from 'node:path';
import { createService, shouldSeedDemoData } from '@fedmcp/service-kit';
import { schema } from './customer.schema';
import { CustomerRepository } from './customer.repository';
import { registerCustomerTools } from './customer.tools';
import { registerCustomerResources } from './customer.resources';
import { seedDemoCustomers } from './customer.seed';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** The customer service: config, database, tools, demo data. `start()` serves it. */
export async function createCustomerService(env?: NodeJS.ProcessEnv) {
  const service = await createService({
    name: 'customer',
    version,
    defaultPort: 3001,
    schema,
    migrationsFolder: path.join(__dirname, '..', 'drizzle'),
    instructions: 'Customer accounts of the commerce platform: create, look up, search and update customers. Customers must be active to place orders.',
    env,
  });
  const repo = new CustomerRepository(service.db);
  registerCustomerTools(service, repo);
  registerCustomerResources(service, repo);
  if (shouldSeedDemoData(service)) {
    const seeded = await seedDemoCustomers(repo);
    if (seeded) service.logger.info('seeded demo customers', { count: seeded });
  }
  return service;
}
