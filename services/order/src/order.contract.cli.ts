/**
 * `npm run contracts -w @fedmcp/order`: writes the order service's consumer
 * contracts to `contracts/<provider>.json`, where each provider's tests read
 * them. A test fails when the files are out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contractFile, contractJson } from '@fedmcp/contracts';
import { UPSTREAM_NAMES, orderContract } from './order.contract';

const root = path.resolve(__dirname, '..', '..', '..');
for (const provider of UPSTREAM_NAMES) {
  const file = contractFile(root, 'order', provider);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, contractJson(orderContract(provider)));
  process.stdout.write(`wrote ${path.relative(root, file)}\n`);
}
