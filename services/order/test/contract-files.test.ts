/** The contract files providers verify are exactly what order.contract.ts declares. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contractFile, contractJson } from '@fedmcp/contracts';
import { UPSTREAM_NAMES, orderContract } from '../src/order.contract';

const root = path.resolve(__dirname, '..', '..', '..');

it.each(UPSTREAM_NAMES)('contracts/%s.json is up to date (run `npm run contracts -w @fedmcp/order` when this fails)', (provider) => {
  expect(fs.readFileSync(contractFile(root, 'order', provider), 'utf8')).toBe(contractJson(orderContract(provider)));
});

it('declares what the saga and the reconciler call', () => {
  expect(Object.keys(orderContract('product').tools).sort()).toEqual(['commit_reservation', 'list_reservations', 'release_reservation', 'reserve_inventory', 'search_products']);
  expect(Object.keys(orderContract('payment').tools).sort()).toEqual(['authorize_payment', 'capture_payment', 'list_payments', 'refund_payment', 'void_payment']);
  expect(Object.keys(orderContract('customer').tools)).toEqual(['get_customer']);
});
