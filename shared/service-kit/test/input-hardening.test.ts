import { z } from 'zod';
import { envelopeProblem, unsupportedMediaType } from '../src/mcp-http';
import { emailAddress, freeText, idOf, newId, searchQuery, text } from '../src';

const issues = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('text()', () => {
  const name = text({ max: 10 });

  it('accepts ordinary text of every Unicode plane, trimmed, unchanged otherwise', () => {
    expect(name.parse('  Ada  ')).toBe('Ada');
    for (const value of ['Zoë', 'עברית', '名前', '😀🇫🇷', 'a\u202Eb', "O'Brien", '%_\\"']) expect(name.parse(value)).toBe(value);
  });

  it('refuses NUL and every other C0 control character, naming the code point', () => {
    expect(issues(name, 'a\u0000b')).toEqual([expect.stringMatching(/control characters.*U\+0000 at position 1/)]);
    for (let c = 0; c < 0x20; c++) {
      // Leading/trailing whitespace controls are trimmed away; inside the text they are refused.
      expect(issues(name, `a${String.fromCharCode(c)}b`)).not.toEqual([]);
    }
    expect(issues(name, 'a\u007Fb')).not.toEqual([]);
  });

  it('refuses lone surrogates but accepts pairs', () => {
    expect(issues(name, 'a\uD800b')).toEqual([expect.stringMatching(/lone UTF-16 surrogate/)]);
    expect(issues(name, 'a\uDC00')).toEqual([expect.stringMatching(/lone UTF-16 surrogate/)]);
    expect(name.parse('a\uD83D\uDE00')).toBe('a😀');
  });

  it('refuses over-long and empty text', () => {
    expect(issues(name, 'x'.repeat(11))).toEqual(['must be at most 10 characters']);
    expect(issues(name, '   ')).toEqual(['must not be empty']);
    expect(text({ max: 10, min: 0 }).parse('')).toBe('');
  });

  it('keeps opaque keys untrimmed when asked', () => {
    expect(text({ max: 10, trim: false }).parse(' k ')).toBe(' k ');
  });
});

describe('freeText()', () => {
  it('allows tab and line breaks inside, nothing else from C0', () => {
    const description = freeText({ max: 100 });
    expect(description.parse('line 1\n\tline 2\r\nend')).toBe('line 1\n\tline 2\r\nend');
    expect(issues(description, 'a\u0000b')).toEqual([expect.stringMatching(/control characters \(tab and line breaks are allowed\)/)]);
    expect(issues(description, 'a\u001Bb')).not.toEqual([]);
  });
});

describe('searchQuery, emailAddress, idOf', () => {
  it('a search query refuses NUL before any query runs', () => {
    expect(issues(searchQuery, 'ad\u0000a')).not.toEqual([]);
    expect(searchQuery.parse(" ' OR 1=1 -- ")).toBe("' OR 1=1 --");
  });

  it('an e-mail address refuses control characters and non-ASCII tricks', () => {
    expect(emailAddress.parse('ada@example.com')).toBe('ada@example.com');
    for (const bad of ['ada\u0000@example.com', 'ada@example.com\n', 'ad\u202Ea@example.com']) expect(issues(emailAddress, bad)).not.toEqual([]);
  });

  it('an id must carry its prefix and the id alphabet; every id newId() makes passes', () => {
    const customerId = idOf('cus', 'customer');
    expect(customerId.parse(newId('cus'))).toMatch(/^cus_/);
    for (const bad of ['prd_01abc', 'cus_', 'cus_ABC', "cus_1' OR '1'='1", 'cus_1\u0000', 'cus_١٢٣', `cus_${'a'.repeat(80)}`]) {
      expect(issues(customerId, bad)).not.toEqual([]);
    }
  });
});

describe('unsupportedMediaType()', () => {
  it('accepts application/json in UTF-8 (charset absent, utf-8 or utf8, any case)', () => {
    for (const ok of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8']) {
      expect(unsupportedMediaType(ok)).toBeUndefined();
    }
  });

  it('refuses other media types, a missing type and other charsets', () => {
    for (const bad of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1']) {
      expect(unsupportedMediaType(bad)).toEqual(expect.any(String));
    }
  });
});

describe('envelopeProblem()', () => {
  it('accepts requests, notifications, responses and non-empty batches', () => {
    for (const ok of [
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x', _meta: {} } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 1, result: {} },
      [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
    ]) {
      expect(envelopeProblem(ok)).toBeUndefined();
    }
  });

  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 5 }, /method must be a string/],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, /jsonrpc must be "2.0"/],
    [{ id: 1, method: 'ping' }, /jsonrpc/],
    [{ jsonrpc: '2.0', id: {}, method: 'ping' }, /id must be/],
    [{ jsonrpc: '2.0', id: true, method: 'ping' }, /id must be/],
    [{ jsonrpc: '2.0', id: 1, method: 'ping', params: [1] }, /params must be an object/],
    [{ jsonrpc: '2.0', id: 1, method: 'ping', params: 'x' }, /params must be an object/],
    [{ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: 'x' } }, /_meta must be an object/],
    [[], /empty batch/],
    [[{ jsonrpc: '2.0', id: 1, method: 'ping' }, 3], /batch element 1/],
    [null, /must be an object/],
    [5, /must be an object/],
  ])('refuses %j', (body, problem) => {
    expect(envelopeProblem(body)).toMatch(problem);
  });
});
