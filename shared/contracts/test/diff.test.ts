import { ConsumerContract, SnapshotTool, ToolChange, bumpSuffices, consumerImpact, diffTools, requiredBump } from '../src';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A tool shaped like the ones the services advertise: the output is `anyOf: [result, error envelope]`. */
function reserve(): SnapshotTool & { inputSchema: Schema; outputSchema: Schema } {
  return {
    name: 'reserve_inventory',
    title: 'Reserve stock',
    scope: 'inventory:write',
    description: 'Reserves stock for an order.',
    annotations: { readOnlyHint: false, idempotentHint: true },
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        order_id: { type: 'string', pattern: '^ord_[a-z0-9]+$', description: 'Order id' },
        items: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: { type: 'object', properties: { product_id: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 1000 }, note: { type: 'string' } }, required: ['product_id', 'quantity'] },
        },
        ttl_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
      },
      required: ['order_id', 'items'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      anyOf: [
        {
          type: 'object',
          properties: {
            reservation_id: { type: 'string' },
            status: { type: 'string', enum: ['held', 'released', 'committed'] },
            expires_at: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
            lines: { type: 'array', items: { type: 'object', properties: { product_id: { type: 'string' }, quantity: { type: 'integer' } }, required: ['product_id', 'quantity'] } },
          },
          required: ['reservation_id', 'status', 'lines'],
        },
        { type: 'object', properties: { error: { type: 'object' } }, required: ['error'] },
      ],
    },
  };
}

const other = (): SnapshotTool => ({ name: 'get_product', scope: 'inventory:read', inputSchema: { type: 'object', properties: { product_id: { type: 'string' } }, required: ['product_id'] } });
const result = (t: { outputSchema: Schema }): Schema => t.outputSchema.anyOf[0];

/** The changes made by `change` to a copy of the reserve tool. */
function changesOf(change: (t: ReturnType<typeof reserve>) => void): ToolChange[] {
  const after = reserve();
  change(after);
  return diffTools([reserve(), other()], [after, other()]);
}

const summary = (changes: ToolChange[]) => changes.map((c) => `${c.impact} ${c.kind}: ${c.message}`);

describe('diffTools', () => {
  it('finds nothing between equal snapshots, whatever the key order', () => {
    const reordered = reserve();
    reordered.inputSchema = { required: reordered.inputSchema.required, ...reordered.inputSchema };
    expect(diffTools([reserve(), other()], [other(), reordered])).toEqual([]);
    expect(requiredBump([])).toBe('none');
  });

  describe.each<[string, (t: ReturnType<typeof reserve>) => void, string[]]>([
    ['a new optional argument', (t) => void (t.inputSchema.properties.hold_note = { type: 'string' }), ['compatible argument-added: adds optional argument hold_note']],
    ['a new optional nested argument', (t) => void (t.inputSchema.properties.items.items.properties.gift = { type: 'boolean' }), ['compatible argument-added: adds optional argument items[].gift']],
    ['a new result field', (t) => void (result(t).properties.held_at = { type: 'string' }), ['compatible field-added: adds result field held_at (not always present)']],
    ['a looser bound', (t) => void (t.inputSchema.properties.ttl_seconds.maximum = 7200), ['compatible type-changed: argument ttl_seconds: maximum 3600 → 7200']],
    ['a required argument made optional', (t) => void (t.inputSchema.required = ['order_id']), ['compatible argument-optional: argument items is optional now']],
    ['a result field now always present', (t) => void result(t).required.push('expires_at'), ['compatible field-required: result field expires_at is always present now']],
    ['a result enum narrowed', (t) => void (result(t).properties.status.enum = ['held', 'released']), ['compatible type-changed: result field status: enum ["held","released","committed"] → ["held","released"]']],
    ['a changed annotation', (t) => void (t.annotations = { readOnlyHint: false, idempotentHint: false }), ['compatible annotations-changed: annotations: idempotentHint true → false']],
  ])('compatible: %s', (_name, change, expected) => {
    it('is classified compatible and needs a minor version', () => {
      const changes = changesOf(change);
      expect(summary(changes)).toEqual(expected);
      expect(requiredBump(changes)).toBe('minor');
    });
  });

  describe.each<[string, (t: ReturnType<typeof reserve>) => void, string[]]>([
    ['a changed description', (t) => void (t.description = 'Holds stock for an order.'), ['cosmetic description-changed: description changed']],
    ['a changed title', (t) => void (t.title = 'Hold stock'), ['cosmetic title-changed: title is now "Hold stock" (was "Reserve stock")']],
    ['a changed argument description', (t) => void (t.inputSchema.properties.order_id.description = 'The order'), ['cosmetic description-changed: argument order_id: description changed']],
  ])('cosmetic: %s', (_name, change, expected) => {
    it('is classified cosmetic and needs a patch version', () => {
      const changes = changesOf(change);
      expect(summary(changes)).toEqual(expected);
      expect(requiredBump(changes)).toBe('patch');
    });
  });

  describe.each<[string, (t: ReturnType<typeof reserve>) => void, string[]]>([
    ['a removed argument', (t) => void delete t.inputSchema.properties.ttl_seconds, ['breaking argument-removed: lacks argument ttl_seconds']],
    ['a renamed argument', (t) => {
      t.inputSchema.properties.reservation_order = t.inputSchema.properties.order_id;
      delete t.inputSchema.properties.order_id;
      t.inputSchema.required = ['reservation_order', 'items'];
    }, ['breaking argument-removed: lacks argument order_id', 'breaking argument-added: requires argument reservation_order now, which the consumer does not send']],
    ['a new required argument', (t) => {
      t.inputSchema.properties.warehouse = { type: 'string' };
      t.inputSchema.required.push('warehouse');
    }, ['breaking argument-added: requires argument warehouse now, which the consumer does not send']],
    ['an optional argument made required', (t) => void t.inputSchema.required.push('ttl_seconds'), ['breaking argument-required: requires argument ttl_seconds now, which the consumer does not send']],
    ['an optional nested argument made required', (t) => void t.inputSchema.properties.items.items.required.push('note'), ['breaking argument-required: requires argument items[].note now, which the consumer does not send']],
    ['a tightened bound', (t) => void (t.inputSchema.properties.items.items.properties.quantity.maximum = 100), ['breaking type-changed: argument items[].quantity tightened: maximum 100 (the consumer may send up to 1000)']],
    ['a changed argument type', (t) => void (t.inputSchema.properties.ttl_seconds = { type: 'string' }), ['breaking type-changed: argument ttl_seconds no longer accepts integer (accepts string)']],
    ['an argument restricted to an enum', (t) => void (t.inputSchema.properties.order_id.enum = ['ord_1']), ['breaking type-changed: argument order_id accepts only "ord_1"; the consumer may send "any value"']],
    ['a removed result field', (t) => void delete result(t).properties.reservation_id, ['breaking field-removed: lacks result field reservation_id']],
    ['a removed nested result field', (t) => void delete result(t).properties.lines.items.properties.quantity, ['breaking field-removed: lacks result field lines[].quantity']],
    ['a result field made optional', (t) => void (result(t).required = ['reservation_id', 'lines']), ['breaking field-optional: result field status is optional now, and the consumer needs it']],
    ['a result field with a new type', (t) => void (result(t).properties.lines.items.properties.quantity = { type: 'string' }), ['breaking type-changed: result field lines[].quantity may now be string (the consumer reads integer)']],
    ['a result enum extended', (t) => void result(t).properties.status.enum.push('expired'), ['breaking type-changed: result field status may now be "expired" (the consumer knows "held", "released", "committed")']],
    ['a changed scope', (t) => void (t.scope = 'inventory:admin'), ['breaking scope-changed: needs scope "inventory:admin" now (was "inventory:write"): a consumer\'s token may lack it']],
  ])('breaking: %s', (_name, change, expected) => {
    it('is classified breaking, named by tool and field, and needs a major version', () => {
      const changes = changesOf(change);
      expect(summary(changes)).toEqual(expected);
      expect(changes.every((c) => c.tool === 'reserve_inventory')).toBe(true);
      expect(requiredBump(changes)).toBe('major');
    });
  });

  it('classifies added and removed tools', () => {
    const added = diffTools([other()], [other(), reserve()]);
    expect(summary(added)).toEqual(['compatible tool-added: new tool (scope "inventory:write")']);
    expect(requiredBump(added)).toBe('minor');
    const removed = diffTools([other(), reserve()], [other()]);
    expect(summary(removed)).toEqual(['breaking tool-removed: is not advertised any more']);
    expect(requiredBump(removed)).toBe('major');
  });

  it('keeps a compatible change next to a breaking one in the same tool', () => {
    const changes = changesOf((t) => {
      delete result(t).properties.reservation_id;
      t.inputSchema.properties.hold_note = { type: 'string' };
    });
    expect(summary(changes)).toEqual(['breaking field-removed: lacks result field reservation_id', 'compatible argument-added: adds optional argument hold_note']);
  });
});

describe('bumpSuffices', () => {
  it('refuses a bump smaller than the changes need and accepts a larger one', () => {
    expect(bumpSuffices('major', 'minor')).toBe(false);
    expect(bumpSuffices('minor', 'patch')).toBe(false);
    expect(bumpSuffices('minor', 'major')).toBe(true);
    expect(bumpSuffices('none', 'patch')).toBe(true);
    expect(bumpSuffices('patch', 'patch')).toBe(true);
  });
});

describe('consumerImpact', () => {
  const contract: ConsumerContract = {
    consumer: 'order',
    provider: 'product',
    tools: { reserve_inventory: { sends: { type: 'object', properties: { order_id: { type: 'string', pattern: '^ord_[a-z0-9]+$' }, items: reserve().inputSchema.properties.items } }, reads: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } },
  };

  it('says which used tools changed and whether the contract still holds', () => {
    const after = reserve();
    delete result(after).properties.reservation_id; // breaking, but not for this consumer: it does not read it
    const changes = diffTools([reserve(), other()], [after, other()]);
    expect(consumerImpact([contract], changes, [after, other()])).toEqual([{ consumer: 'order', provider: 'product', uses: ['reserve_inventory'], changed: ['reserve_inventory'], violations: [] }]);
  });

  it('reports the violations when the change breaks the consumer', () => {
    const after = reserve();
    delete result(after).properties.status;
    const [impact] = consumerImpact([contract], diffTools([reserve()], [after]), [after]);
    expect(impact.violations.map((v) => v.message)).toEqual(['lacks result field status']);
  });
});
