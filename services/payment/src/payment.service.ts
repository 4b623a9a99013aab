import * as path from 'node:path';
import { createService } from '@fedmcp/service-kit';
import { schema } from './payment.schema';
import { PaymentRepository } from './payment.repository';
import { PaymentOperations } from './payment.operations';
import { CardProvider, SimulatedCardProvider } from './card-provider';
import { registerPaymentTools } from './payment.tools';
import { registerPaymentResources } from './payment.resources';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** The payment service: config, database, card provider, tools. `start()` serves it. */
export async function createPaymentService(env?: NodeJS.ProcessEnv, provider: CardProvider = new SimulatedCardProvider()) {
  const service = await createService({
    name: 'payment',
    version,
    defaultPort: 3004,
    schema,
    migrationsFolder: path.join(__dirname, '..', 'drizzle'),
    instructions:
      'Card payments of the commerce platform: authorize (idempotent per idempotency_key), capture, void, refund, and look up payments with their ledger of events. Test payment methods: pm_card_ok, pm_card_declined, pm_card_insufficient_funds, pm_card_provider_down.',
    env,
  });
  const repo = new PaymentRepository(service.db);
  registerPaymentTools(service, repo, new PaymentOperations(repo, provider));
  registerPaymentResources(service, repo);
  return service;
}
