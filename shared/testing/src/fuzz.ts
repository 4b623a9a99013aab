import fc from 'fast-check';
import type { TestClient, ToolOutcome } from './clients';

/**
 * Property-based fuzzing driven by what a tool advertises: arguments are
 * generated from its JSON Schema on `tools/list` (valid, boundary and hostile
 * values), so every tool is covered the same way and a new tool is fuzzed
 * without writing a generator for it.
 */

/** The JSON Schema subset zod emits for tool inputs. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings that look dangerous yet are valid text: they must be stored and read back unchanged. */
export const TRICKY_TEXT = [
  "O'Brien",
  "'; DROP TABLE customers; --",
  "1' OR '1'='1",
  '" OR ""="',
  '%_\\%',
  '{"a":[1,{"b":null}]}',
  '</script><script>alert(1)</script>',
  '\u202Egnp.exe',
  '\u200F\u05E9\u05DC\u05D5\u05DD\u200E',
  'Zoë Ångström',
  '名前 テスト',
  '😀🇫🇷👩‍👩‍👧',
  '𝕳𝖊𝖑𝖑𝖔 \u{10FFFD}',
  'e\u0301\u0301\u0301',
  'NaN',
  '-0',
  '__proto__',
  'constructor',
  '${jndi:ldap://x}',
  '\uFEFFbom',
];

/**
 * Text every `text()` field accepts and stores unchanged: code points of
 * every plane, no control characters, no lone surrogates, no surrounding
 * whitespace (which text fields trim), within `[min, max]` UTF-16 units.
 */
export function cleanText(min = 1, max = 200): fc.Arbitrary<string> {
  const fits = (s: string) => s.length >= min && s.length <= max && s === s.trim() && !CONTROL_OR_LONE_SURROGATE.test(s);
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: Math.min(max, 60) }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 40) }) },
      { weight: 2, arbitrary: fc.constantFrom(...TRICKY_TEXT) },
      { weight: 1, arbitrary: fc.constant('x'.repeat(max)) },
    )
    .filter(fits);
}

/** Values no tool should accept silently or choke on. */
export const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  'name\u0000',
  '\u001B[31mred',
  'tab\there',
  'line\nbreak',
  '\u007F',
  '\uD800',
  'x\uDFFF',
  '\uDC00\uD800',
  '',
  ' ',
  '\u00A0',
  "'; DROP TABLE x; --",
  '\\',
  '"',
  '{',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'x'.repeat(10_000),
  '\u202E'.repeat(50),
  'cus_',
  'prd_../../etc/passwd',
  'ord_00000000000000000000000000\u0000',
];

const HOSTILE_NUMBERS = [-0, 0.5, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63), 1e-320];

const deepObject = (depth: number): unknown => (depth === 0 ? 'bottom' : { a: deepObject(depth - 1) });

/** Objects whose keys target prototype pollution (own keys, as JSON.parse makes them). */
const PROTOTYPE_OBJECTS = [
  JSON.parse('{"__proto__":{"polluted":true}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
  JSON.parse('{"prototype":null,"toString":"x","valueOf":1}'),
];

/** Any hostile JSON value: control characters, lone surrogates, huge/odd numbers, deep and prototype-key objects, wrong types. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], deepObject(40), ...PROTOTYPE_OBJECTS) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

function integerOf(schema: JsonSchema): fc.Arbitrary<number> {
  const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1e9), Number.MIN_SAFE_INTEGER);
  const max = Math.min(schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1e9), Number.MAX_SAFE_INTEGER);
  // Boundaries as often as anything else.
  return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, Math.min(Math.max(0, min), max)));
}

function stringOf(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 200;
  if (schema.format === 'email') return fc.stringMatching(/^[a-z0-9]{1,12}(?:[.+][a-z0-9]{1,6})?@[a-z0-9]{1,12}\.(?:com|org|example)$/);
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= Math.max(min, 1) && s.length <= max);
  return cleanText(Math.max(min, min === 0 ? 0 : 1), max);
}

/** Valid (per the advertised schema) and boundary arguments for one schema. */
export function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map(validValue));
  if (schema.allOf?.length) return validValue(Object.assign({}, ...schema.allOf));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, validValue(value)]));
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) as never });
    }
    case 'array':
      return fc.array(validValue(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case 'integer':
      return integerOf(schema);
    case 'number':
      return fc.oneof(integerOf(schema), fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }));
    case 'boolean':
      return fc.boolean();
    case 'string':
      return stringOf(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Arguments with one field made hostile, or an unexpected (prototype-targeting) key added. */
export function hostileArguments(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const valid = validValue(schema) as fc.Arbitrary<Record<string, unknown>>;
  const keys = Object.keys(schema.properties ?? {});
  const replaced = fc.tuple(valid, fc.constantFrom(...(keys.length ? keys : ['x'])), hostileValue).map(([args, key, value]) => ({ ...args, [key]: value }));
  const extra = fc.tuple(valid, fc.constantFrom('__proto__', 'constructor', 'prototype', 'admin', ''), hostileValue).map(([args, key, value]) => {
    const copy: Record<string, unknown> = { ...args };
    Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
    return copy;
  });
  return fc.oneof({ weight: 4, arbitrary: replaced }, { weight: 1, arbitrary: extra });
}

const STACK = /\n\s+at |\bat .+\.(?:ts|js):\d+|node_modules|Error: .*\n/;
const SQL = /Failed query|params:|\binsert into\b|\bselect\b[\s\S]*\bfrom\b|\bupdate\b[\s\S]*\bset\b|syntax error at|violates [a-z ]*constraint|relation "|SQLSTATE|\$\d+\b/i;

/**
 * The universal properties of one tool answer: never INTERNAL, a known error
 * code, no stack trace or SQL in the message. Throws an Error saying what broke.
 */
export function assertWellBehaved(tool: string, args: unknown, outcome: ToolOutcome): void {
  const fail = (why: string) => {
    throw new Error(`${tool} ${why}\narguments: ${JSON.stringify(args)?.slice(0, 500)}\nanswer: ${outcome.text.slice(0, 500)}`);
  };
  if (!outcome.isError) return;
  const error = outcome.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') return fail('answered isError without {code, message}');
  if (error.code === 'INTERNAL') fail('answered INTERNAL');
  if (STACK.test(error.message)) fail('put a stack trace in its message');
  if (SQL.test(error.message)) fail('put SQL in its message');
}

/** Calls a tool; a thrown protocol error or HTTP 5xx is a failure of the property too. */
export async function callChecked(client: TestClient, tool: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  let outcome: ToolOutcome;
  try {
    outcome = await client.call(tool, args);
  } catch (error) {
    throw new Error(`${tool} did not answer with a tool result (${error instanceof Error ? error.message : String(error)})\narguments: ${JSON.stringify(args)?.slice(0, 500)}`);
  }
  assertWellBehaved(tool, args, outcome);
  return outcome;
}

/** Each tool's advertised input schema, from `tools/list`. */
export async function advertisedInputs(client: TestClient): Promise<Map<string, JsonSchema>> {
  return new Map((await client.listTools()).map((tool) => [tool.name, tool.inputSchema as JsonSchema]));
}

/**
 * Row counts of every table but the audit trail (which records failures too),
 * to check that invalid input changes nothing. `query` runs one SQL text.
 */
export async function tableCounts(query: (text: string) => Promise<unknown>): Promise<Record<string, number>> {
  const rowsOf = (result: unknown) => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
  const tables = rowsOf(await query("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'audit_events' order by table_name"));
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) counts[String(table_name)] = Number(rowsOf(await query(`select count(*)::int as n from "${String(table_name)}"`))[0].n);
  return counts;
}

/** fast-check settings for the CI fuzz suites: bounded runs, the seed printed on failure (fast-check's report carries it). */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  return { numRuns, ...(seed !== undefined ? { seed } : {}), endOnFailure: true };
}

export { fc };
