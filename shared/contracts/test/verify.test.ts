import { ConsumerContract, describeViolation, readinessReason, verifyContract } from '../src';

const contract: ConsumerContract = {
  consumer: 'order',
  provider: 'product',
  tools: {
    reserve: {
      sends: { type: 'object', properties: { order_id: { type: 'string', pattern: '^ord_[a-z0-9]+$' }, qty: { type: 'integer', minimum: 1, maximum: 100 }, limit: { const: 100 } }, required: ['order_id', 'qty'] },
      reads: { type: 'object', properties: { status: { type: 'string', enum: ['held', 'released'] }, total: { type: 'integer' }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, required: ['status', 'total'] },
    },
  },
};

const tool = (input: object, output: object) => [{ name: 'reserve', inputSchema: input, outputSchema: { type: 'object', anyOf: [output, { type: 'object', properties: { error: { type: 'object' } }, required: ['error'] }] } }];
const input = { type: 'object', properties: { order_id: { type: 'string', pattern: '^ord_[a-z0-9]+$' }, qty: { type: 'number', minimum: 0, maximum: 1000 }, limit: { type: 'integer', minimum: 1, maximum: 100 }, extra: { type: 'string' } }, required: ['order_id'] };
const output = { type: 'object', properties: { status: { type: 'string', enum: ['released', 'held'] }, total: { type: 'integer' }, note: { type: 'string' }, more: { type: 'string' } }, required: ['status', 'total'] };
const messages = (i: object, o: object) => verifyContract(contract, tool(i, o)).map(describeViolation);

describe('verifyContract', () => {
  it('accepts a provider at least as permissive on inputs and at least as precise on outputs', () => {
    expect(messages(input, output)).toEqual([]);
  });

  it('checks constant values against the provider bounds', () => {
    expect(messages({ ...input, properties: { ...input.properties, limit: { type: 'integer', maximum: 50 } } }, output)).toEqual(['consumer order → product.reserve: argument limit tightened: no longer accepts 100']);
  });

  it('flags a changed pattern and a changed format', () => {
    const changed = { ...input, properties: { ...input.properties, order_id: { type: 'string', pattern: '^o-' , format: 'uuid' } } };
    expect(messages(changed, output)).toEqual(['consumer order → product.reserve: argument order_id tightened: pattern ^o-', 'consumer order → product.reserve: argument order_id tightened: format uuid']);
  });

  it('flags a field the consumer needs that became optional, and a nullable field that became a number', () => {
    const o = { ...output, properties: { ...output.properties, note: { type: 'number' } }, required: ['status'] };
    expect(messages(input, o)).toEqual(['consumer order → product.reserve: result field total is optional now, and the consumer needs it', 'consumer order → product.reserve: result field note may now be number (the consumer reads string/null)']);
  });

  it('gives readiness a short reason naming provider, tool and field', () => {
    const [v] = verifyContract(contract, tool({ ...input, properties: { qty: input.properties.qty, limit: input.properties.limit } }, output));
    expect(readinessReason(v)).toBe('product: reserve lacks argument order_id');
  });
});
