/** Every consumer's contract with the customer service holds against what it advertises on tools/list. */
import { startInProcess, InProcessService, consumerContracts, contractViolations } from '@fedmcp/testing';
import { createCustomerService } from '../src/customer.service';

let svc: InProcessService<Awaited<ReturnType<typeof createCustomerService>>>;
beforeAll(async () => {
  svc = await startInProcess('customer', createCustomerService);
});
afterAll(() => svc.stop());

it('satisfies every consumer contract in the repository (run this before shipping a schema change)', async () => {
  expect(consumerContracts('customer').map((c) => c.consumer)).toContain('order');
  expect(contractViolations('customer', await svc.client.listTools())).toEqual([]);
});
