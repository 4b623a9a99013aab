/**
 * Consumer contracts between MCP servers: what a consumer sends to each tool
 * of a provider and which result fields it reads, checked against the schemas
 * the provider advertises on `tools/list`. The same check runs in the
 * provider's test suite (a breaking change fails before it ships) and in the
 * consumer at run time (version skew between independently deployed servers).
 *
 * Compatible: a new optional argument, a new result field, a looser type.
 * Breaking: a tool, an argument the consumer sends or a field it reads removed
 * or renamed; an argument type tightened (type, enum, bounds, length, pattern,
 * format); an argument made required that the consumer does not send; a field
 * it reads made optional, or its type widened beyond what the consumer accepts.
 */

/** The JSON Schema subset contracts are written in (what zod's toJSONSchema and the SDK produce). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  [key: string]: unknown;
}

/** What one consumer uses of one tool. */
export interface ToolUse {
  /** The arguments it sends (an object schema: the values it may send). */
  sends: JsonSchema;
  /** The result fields it reads (an object schema: `required` = fields it needs present). */
  reads: JsonSchema;
}

export interface ConsumerContract {
  consumer: string;
  provider: string;
  tools: Record<string, ToolUse>;
}

/** A tool as listed by `tools/list`. */
export interface AdvertisedTool {
  name: string;
  inputSchema: unknown;
  outputSchema?: unknown;
}

export interface ContractViolation {
  consumer: string;
  provider: string;
  tool: string;
  /** `argument items[].quantity`, `field status`, or `tool` when the tool itself is gone. */
  field: string;
  /** What is wrong, starting with the tool's verb: `lacks argument order_id`. */
  message: string;
}

/** One line naming consumer, tool and field, e.g. for a test failure or a log. */
export function describeViolation(v: ContractViolation): string {
  return `consumer ${v.consumer} → ${v.provider}.${v.tool}: ${v.message}`;
}

/** The short form for readiness and errors: `product: reserve_inventory lacks argument order_id`. */
export function readinessReason(v: ContractViolation): string {
  return `${v.provider}: ${v.tool} ${v.message}`;
}

interface Normal {
  types: Set<string>;
  enum?: unknown[];
  schema: JsonSchema;
}

const ALL_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

/** Flattens anyOf/oneOf/const into one view: the set of types, the enum, the object branch. */
function normal(schema: JsonSchema | undefined): Normal {
  const s = schema ?? {};
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const parts = branches.map(normal);
    const types = new Set(parts.flatMap((p) => [...p.types]));
    const enumerable = parts.every((p) => p.enum || (p.types.size === 1 && p.types.has('null')));
    const values = enumerable ? parts.flatMap((p) => p.enum ?? [null]) : undefined;
    const structured = parts.find((p) => p.types.has('object') || p.types.has('array'))?.schema ?? s;
    return { types, enum: values, schema: { ...structured, ...pick(s) } };
  }
  const values = s.const !== undefined ? [s.const] : s.enum;
  // Known values say more than a declared type (z.literal(100) is advertised as type "number").
  let types = values ? new Set(values.map((v) => (v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v))) : new Set(Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
  if (types.size === 0) types = new Set(ALL_TYPES);
  return { types, enum: values, schema: s };
}

function pick(s: JsonSchema): JsonSchema {
  const { anyOf: _a, oneOf: _o, ...rest } = s;
  return rest;
}

/** Does a single value pass the provider's scalar constraints? */
function valueAllowed(v: unknown, s: JsonSchema): boolean {
  if (typeof v === 'number') {
    return !((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum) || (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) || (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum));
  }
  if (typeof v === 'string') {
    return !((s.minLength !== undefined && v.length < s.minLength) || (s.maxLength !== undefined && v.length > s.maxLength) || (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)));
  }
  return true;
}

/** Does `wide` admit every value of type `t`? (integer ⊂ number) */
const admits = (wide: Set<string>, t: string) => wide.has(t) || (t === 'integer' && wide.has('number'));

type Report = (field: string, message: string) => void;

/** The provider (`p`) must accept every value the consumer (`c`) may send. */
function checkAccepts(c: JsonSchema, p: JsonSchema, field: string, report: Report): void {
  const cn = normal(c);
  const pn = normal(p);
  const missing = [...cn.types].filter((t) => !admits(pn.types, t));
  if (missing.length) return report(field, `${field} no longer accepts ${missing.join('/')} (accepts ${[...pn.types].join('/')})`);
  if (pn.enum) {
    const outside = cn.enum ? cn.enum.filter((v) => !pn.enum!.includes(v)) : ['any value'];
    if (outside.length) return report(field, `${field} accepts only ${pn.enum.map((v) => JSON.stringify(v)).join(', ')}; the consumer may send ${outside.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  const cs = cn.schema;
  const ps = pn.schema;
  if (cn.enum) {
    // The consumer sends known values: check each one against the provider's constraints.
    const refused = cn.enum.filter((v) => !valueAllowed(v, ps));
    if (refused.length) report(field, `${field} tightened: no longer accepts ${refused.map((v) => JSON.stringify(v)).join(', ')}`);
    return;
  }
  const lower = (key: 'minimum' | 'minLength' | 'minItems' | 'exclusiveMinimum') => ps[key] !== undefined && (cs[key] === undefined || (ps[key] as number) > (cs[key] as number));
  const upper = (key: 'maximum' | 'maxLength' | 'maxItems' | 'exclusiveMaximum') => ps[key] !== undefined && (cs[key] === undefined || (ps[key] as number) < (cs[key] as number));
  for (const key of ['minimum', 'minLength', 'minItems', 'exclusiveMinimum'] as const) if (lower(key)) report(field, `${field} tightened: ${key} ${ps[key]} (the consumer may send from ${cs[key] ?? 'any'})`);
  for (const key of ['maximum', 'maxLength', 'maxItems', 'exclusiveMaximum'] as const) if (upper(key)) report(field, `${field} tightened: ${key} ${ps[key]} (the consumer may send up to ${cs[key] ?? 'any'})`);
  if (ps.pattern !== undefined && ps.pattern !== cs.pattern) report(field, `${field} tightened: pattern ${ps.pattern}`);
  if (ps.format !== undefined && ps.format !== cs.format) report(field, `${field} tightened: format ${ps.format}`);
  if (cn.types.has('object')) checkArguments(cs, ps, field, report);
  if (cn.types.has('array') && cs.items) checkAccepts(cs.items, ps.items ?? {}, `${field}[]`, report);
}

/** Every argument the consumer sends exists and accepts its values; nothing newly required. */
function checkArguments(c: JsonSchema, p: JsonSchema, prefix: string, report: Report): void {
  const sent = c.properties ?? {};
  const offered = p.properties ?? {};
  const at = (name: string) => (prefix ? `${prefix}.${name}` : `argument ${name}`);
  for (const [name, schema] of Object.entries(sent)) {
    if (!(name in offered)) report(at(name), `lacks ${at(name)}`);
    else checkAccepts(schema, offered[name], at(name), report);
  }
  for (const name of p.required ?? []) if (!(name in sent)) report(at(name), `requires ${at(name)} now, which the consumer does not send`);
}

/** The consumer (`c`) must accept every value the provider (`p`) may return. */
function checkProvides(c: JsonSchema, p: JsonSchema, field: string, report: Report): void {
  const cn = normal(c);
  const pn = normal(p);
  const extra = [...pn.types].filter((t) => !admits(cn.types, t));
  if (extra.length) return report(field, `${field} may now be ${extra.join('/')} (the consumer reads ${[...cn.types].join('/')})`);
  if (cn.enum) {
    const outside = pn.enum ? pn.enum.filter((v) => !cn.enum!.includes(v)) : ['any value'];
    if (outside.length) return report(field, `${field} may now be ${outside.map((v) => JSON.stringify(v)).join(', ')} (the consumer knows ${cn.enum.map((v) => JSON.stringify(v)).join(', ')})`);
  }
  if (cn.types.has('object')) checkFields(cn.schema, pn.schema, field, report);
  if (cn.types.has('array') && cn.schema.items) checkProvides(cn.schema.items, pn.schema.items ?? {}, `${field}[]`, report);
}

/** Every field the consumer reads exists, stays present where it needs it, and keeps a type it accepts. */
function checkFields(c: JsonSchema, p: JsonSchema, prefix: string, report: Report): void {
  const read = c.properties ?? {};
  const given = p.properties ?? {};
  const needed = new Set(c.required ?? []);
  const guaranteed = new Set(p.required ?? []);
  const at = (name: string) => (prefix ? `${prefix}.${name}` : `result field ${name}`);
  for (const [name, schema] of Object.entries(read)) {
    if (!(name in given)) report(at(name), `lacks ${at(name)}`);
    else {
      if (needed.has(name) && !guaranteed.has(name)) report(at(name), `${at(name)} is optional now, and the consumer needs it`);
      checkProvides(schema, given[name], at(name), report);
    }
  }
}

/** The result branch of an advertised output schema (ours is `anyOf: [result, error envelope]`). */
export function resultSchema(output: unknown): JsonSchema {
  const s = (output ?? {}) as JsonSchema;
  if (s.properties) return s;
  const branch = (s.anyOf ?? s.oneOf ?? []).find((b) => !(b.properties && 'error' in b.properties && Object.keys(b.properties).length === 1));
  return branch ?? s;
}

/** Every way the provider's advertised tools break this consumer contract (empty = compatible). */
export function verifyContract(contract: ConsumerContract, advertised: AdvertisedTool[]): ContractViolation[] {
  const violations: ContractViolation[] = [];
  const byName = new Map(advertised.map((t) => [t.name, t]));
  for (const [tool, use] of Object.entries(contract.tools)) {
    const report: Report = (field, message) => violations.push({ consumer: contract.consumer, provider: contract.provider, tool, field, message });
    const offered = byName.get(tool);
    if (!offered) {
      report('tool', 'is not advertised any more');
      continue;
    }
    checkArguments(use.sends, offered.inputSchema as JsonSchema, '', report);
    checkFields(use.reads, resultSchema(offered.outputSchema), '', report);
  }
  return violations;
}
