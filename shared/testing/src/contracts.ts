import { ConsumerContract, ContractViolation, consumerContractsFor, describeViolation, verifyContract } from '@fedmcp/contracts';
import type { TestClient } from './clients';
import { repoRoot } from './processes';

export type AdvertisedTools = Awaited<ReturnType<TestClient['listTools']>>;

/** Every consumer contract in the repository that names `provider`. */
export function consumerContracts(provider: string): ConsumerContract[] {
  return consumerContractsFor(repoRoot, provider);
}

/** The violations of every consumer contract of `provider` by these advertised tools, one line each. */
export function contractViolations(provider: string, tools: AdvertisedTools): string[] {
  return consumerContracts(provider).flatMap((contract) => verifyContract(contract, tools)).map(describeViolation);
}

/** For tests that change a copy of the advertised tools: the violations, structured. */
export function violationsOf(provider: string, tools: AdvertisedTools): ContractViolation[] {
  return consumerContracts(provider).flatMap((contract) => verifyContract(contract, tools));
}
