import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConsumerContract } from './verify';

/** Where a consumer keeps its contracts: `services/<consumer>/contracts/<provider>.json`. */
export function contractFile(root: string, consumer: string, provider: string): string {
  return path.join(root, 'services', consumer, 'contracts', `${provider}.json`);
}

/**
 * Every consumer contract in the repository that names `provider`: the
 * provider's own tests verify all of them, so a change that breaks a consumer
 * fails in the provider's pipeline before it ships.
 */
export function consumerContractsFor(root: string, provider: string): ConsumerContract[] {
  const services = path.join(root, 'services');
  return fs
    .readdirSync(services)
    .map((consumer) => contractFile(root, consumer, provider))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as ConsumerContract)
    .filter((contract) => contract.provider === provider);
}

/** The JSON text a contract is stored as (stable, so a generated file can be compared). */
export function contractJson(contract: ConsumerContract): string {
  return `${JSON.stringify(contract, null, 2)}\n`;
}
