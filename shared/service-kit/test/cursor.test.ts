import { CursorCodec, ToolError } from '../src';

function rejection(run: () => unknown): ToolError {
  try {
    run();
  } catch (error) {
    return error as ToolError;
  }
  throw new Error('expected the cursor to be rejected');
}

describe('CursorCodec', () => {
  const codec = new CursorCodec('customer:search');

  it('round-trips the payload it encoded', () => {
    const cursor = codec.encode({ id: 'cus_01abc', n: 3 });
    expect(codec.decode(cursor)).toEqual({ id: 'cus_01abc', n: 3 });
    expect(codec.decode(undefined)).toBeUndefined();
  });

  it('rejects a cursor whose payload was edited (signature no longer matches)', () => {
    const cursor = codec.encode({ id: 'cus_01abc' });
    const [, sig] = cursor.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ id: 'cus_zzzzz' })).toString('base64url');
    const error = rejection(() => codec.decode(`${forgedBody}.${sig}`));
    expect(error).toBeInstanceOf(ToolError);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual({ path: 'cursor' });
    expect(error.message).toMatch(/next_cursor/);
  });

  it('rejects a cursor whose signature was edited', () => {
    const cursor = codec.encode({ id: 'cus_01abc' });
    const last = cursor.at(-1) === 'A' ? 'B' : 'A';
    expect(rejection(() => codec.decode(cursor.slice(0, -1) + last)).code).toBe('VALIDATION_ERROR');
  });

  it('rejects a cursor issued for another list', () => {
    const other = new CursorCodec('product:search').encode({ id: 'cus_01abc' });
    expect(rejection(() => codec.decode(other)).code).toBe('VALIDATION_ERROR');
  });

  it.each(['', 'garbage', 'abc.', '.abc', 'a.b.c', 'eyJpZCI6MX0.0000000000000000'])('rejects the made-up cursor %j', (cursor) => {
    expect(rejection(() => codec.decode(cursor)).code).toBe('VALIDATION_ERROR');
  });

  it('is stable across instances of one scope (replicas accept each other\'s cursors)', () => {
    const cursor = new CursorCodec('customer:search').encode({ id: 'cus_1' });
    expect(new CursorCodec('customer:search').decode(cursor)).toEqual({ id: 'cus_1' });
  });
});
