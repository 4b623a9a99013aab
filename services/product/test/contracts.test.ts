/**
 * Every consumer's contract with the product service holds against what it
 * advertises on tools/list; and the check really catches a breaking change:
 * each kind is made to a copy of the real advertised schemas and must fail
 * naming the consumer, the tool and the field, while compatible changes pass.
 */
import { startInProcess, InProcessService, AdvertisedTools, consumerContracts, contractViolations, violationsOf } from '@fedmcp/testing';
import { createProductService } from '../src/product.service';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let svc: InProcessService<Awaited<ReturnType<typeof createProductService>>>;
let advertised: AdvertisedTools;
beforeAll(async () => {
  svc = await startInProcess('product', createProductService);
  advertised = await svc.client.listTools();
});
afterAll(() => svc.stop());

/** A deep copy of the advertised tools with `change` applied to one tool's schemas. */
function changed(tool: string, change: (t: { inputSchema: Schema; outputSchema: Schema }) => void): AdvertisedTools {
  const copy = JSON.parse(JSON.stringify(advertised)) as AdvertisedTools;
  const target = copy.find((t) => t.name === tool);
  if (!target) throw new Error(`product does not advertise ${tool}`);
  change(target as unknown as { inputSchema: Schema; outputSchema: Schema });
  return copy;
}

/** The result branch of an advertised output schema (`anyOf: [result, error envelope]`). */
const result = (t: { outputSchema: Schema }): Schema => t.outputSchema.anyOf[0];
const itemSchema = (t: { inputSchema: Schema }): Schema => t.inputSchema.properties.items.items;

it('satisfies every consumer contract in the repository (run this before shipping a schema change)', () => {
  expect(consumerContracts('product').map((c) => c.consumer)).toContain('order');
  expect(contractViolations('product', advertised)).toEqual([]);
});

describe('compatible changes pass', () => {
  it.each([
    ['a new optional argument', (t: { inputSchema: Schema; outputSchema: Schema }) => void (t.inputSchema.properties.note = { type: 'string' })],
    ['a new result field', (t: { inputSchema: Schema; outputSchema: Schema }) => void (result(t).properties.expires_at = { type: 'string' })],
    ['a looser argument bound', (t: { inputSchema: Schema; outputSchema: Schema }) => void (itemSchema(t).properties.quantity.maximum = 1_000_000)],
  ])('%s on reserve_inventory', (_label, change) => {
    expect(contractViolations('product', changed('reserve_inventory', change))).toEqual([]);
  });
});

describe('breaking changes fail naming consumer, tool and field', () => {
  const cases: [string, string, (t: { inputSchema: Schema; outputSchema: Schema }) => void, RegExp | RegExp[]][] = [
    ['the tool removed', 'commit_reservation', () => undefined, /consumer order → product\.commit_reservation: is not advertised any more/],
    ['an argument the consumer sends removed', 'reserve_inventory', (t) => void delete t.inputSchema.properties.order_id, /consumer order → product\.reserve_inventory: lacks argument order_id/],
    ['an argument renamed', 'release_reservation', (t) => {
      t.inputSchema.properties.id = t.inputSchema.properties.reservation_id;
      delete t.inputSchema.properties.reservation_id;
      t.inputSchema.required = ['id'];
    }, [/product\.release_reservation: lacks argument reservation_id/, /product\.release_reservation: requires argument id now/]],
    ['a field the consumer reads removed', 'reserve_inventory', (t) => void delete result(t).properties.total_cents, /product\.reserve_inventory: lacks result field total_cents/],
    ['a type tightened (integer → string)', 'reserve_inventory', (t) => void (itemSchema(t).properties.quantity = { type: 'string' }), /reserve_inventory: argument items\[\]\.quantity no longer accepts integer/],
    ['a bound tightened', 'reserve_inventory', (t) => void (itemSchema(t).properties.quantity.maximum = 10), /reserve_inventory: argument items\[\]\.quantity tightened: maximum 10/],
    ['an argument made required that the consumer does not send', 'reserve_inventory', (t) => {
      t.inputSchema.properties.warehouse_id = { type: 'string' };
      t.inputSchema.required = [...t.inputSchema.required, 'warehouse_id'];
    }, /reserve_inventory: requires argument warehouse_id now/],
    ['a status value the consumer does not know', 'commit_reservation', (t) => void result(t).properties.status.enum.push('expired'), /commit_reservation: result field status may now be "expired"/],
  ];

  it.each(cases)('%s', (_label, tool, change, expected) => {
    const tools = _label === 'the tool removed' ? advertised.filter((t) => t.name !== tool) : changed(tool, change);
    const found = contractViolations('product', tools);
    // Exactly the expected violations (a rename is both a lost and a new required argument), nothing else.
    expect(found).toEqual([expected].flat().map((e) => expect.stringMatching(e)));
    for (const violation of violationsOf('product', tools)) expect(violation).toMatchObject({ consumer: 'order', provider: 'product', tool });
  });
});
