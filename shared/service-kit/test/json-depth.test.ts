import { jsonDepthExceeds } from '../src/mcp-http';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('jsonDepthExceeds', () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nested(65), 64)).toBe(true);
  });

  it('counts objects and arrays alike', () => {
    const objects = '{"a":'.repeat(10) + '1' + '}'.repeat(10);
    expect(jsonDepthExceeds(objects, 10)).toBe(false);
    expect(jsonDepthExceeds(objects, 9)).toBe(true);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it('measures depth, not the number of containers side by side', () => {
    expect(jsonDepthExceeds('[' + '[],'.repeat(1000) + '[]]', 2)).toBe(false);
  });

  it('ignores brackets inside strings, including after escaped quotes', () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: '[[[[[[[[[[{{{{{{{{' }), 2)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'say \\"[[[[[[[[\\" \\\\' }), 2)).toBe(false);
    expect(jsonDepthExceeds('["\\"", [[[1]]]]', 3)).toBe(true);
  });

  it('stops early on an absurdly deep document', () => {
    const deep = '['.repeat(1_000_000);
    expect(jsonDepthExceeds(deep, 64)).toBe(true);
  });
});
