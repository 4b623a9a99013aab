/** Every consumer's contract with the payment service holds against what it advertises on tools/list. */
import { startInProcess, InProcessService, consumerContracts, contractViolations } from '@fedmcp/testing';
import { createPaymentService } from '../src/payment.service';

let svc: InProcessService<Awaited<ReturnType<typeof createPaymentService>>>;
beforeAll(async () => {
  svc = await startInProcess('payment', createPaymentService);
});
afterAll(() => svc.stop());

it('satisfies every consumer contract in the repository (run this before shipping a schema change)', async () => {
  expect(consumerContracts('payment').map((c) => c.consumer)).toContain('order');
  expect(contractViolations('payment', await svc.client.listTools())).toEqual([]);
});
