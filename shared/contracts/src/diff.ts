/**
 * What changed in a service's tools between two snapshots (the tools it
 * advertised at its last release and the tools it advertises now), and how
 * much each change matters to a consumer. The release command turns the
 * result into the service's CHANGELOG entry and the version bump it needs.
 *
 * Whether a schema change is breaking is decided by the consumer-contract
 * rules in verify.ts, never re-implemented here: the old schemas are read as
 * the contract of a consumer that sends every argument the old version took
 * (and, separately, one that sends only the required ones) and reads every
 * field the old version returned; each violation of that contract by the new
 * tools is a breaking change. Everything else that differs is compatible
 * (an added tool, argument or field; a looser type; an annotation) or
 * cosmetic (a title or description). Two rules verify.ts does not cover,
 * since a contract says nothing about them: a removed tool and a changed
 * scope (a consumer's token may lack the new scope) are breaking.
 */
import { ConsumerContract, ContractViolation, JsonSchema, resultSchema, verifyContract } from './verify';

/** One tool as recorded in `services/<svc>/tools.snapshot.json`. */
export interface SnapshotTool {
  name: string;
  title?: string;
  /** The OAuth scope the tool needs. */
  scope: string;
  /** The description without its closing scope sentence. */
  description?: string;
  annotations?: Record<string, unknown>;
  inputSchema: unknown;
  outputSchema?: unknown;
}

/** The tools a service advertised at one version. */
export interface ToolsSnapshot {
  service: string;
  version: string;
  tools: SnapshotTool[];
}

/** breaking → a major version, compatible → minor, cosmetic → patch. */
export type Impact = 'breaking' | 'compatible' | 'cosmetic';

export type ChangeKind =
  | 'tool-added'
  | 'tool-removed'
  | 'scope-changed'
  | 'annotations-changed'
  | 'title-changed'
  | 'description-changed'
  | 'argument-added'
  | 'argument-removed'
  | 'argument-required'
  | 'argument-optional'
  | 'field-added'
  | 'field-removed'
  | 'field-required'
  | 'field-optional'
  | 'type-changed';

export interface ToolChange {
  tool: string;
  kind: ChangeKind;
  impact: Impact;
  /** `argument items[].quantity`, `result field status`; absent for the tool itself. */
  field?: string;
  /** Readable on its own after the tool name: `lacks argument order_id`, `adds optional argument note`. */
  message: string;
}

export type Bump = 'patch' | 'minor' | 'major';
/** The smallest version bump the changes need; `none` when nothing changed (any bump will do). */
export type RequiredBump = Bump | 'none';

const BUMP_ORDER: RequiredBump[] = ['none', 'patch', 'minor', 'major'];

export function requiredBump(changes: ToolChange[]): RequiredBump {
  if (changes.some((c) => c.impact === 'breaking')) return 'major';
  if (changes.some((c) => c.impact === 'compatible')) return 'minor';
  return changes.length ? 'patch' : 'none';
}

/** Is `requested` at least the bump the changes need? */
export function bumpSuffices(required: RequiredBump, requested: Bump): boolean {
  return BUMP_ORDER.indexOf(requested) >= BUMP_ORDER.indexOf(required);
}

/** Every change from `before` to `after`, tools in name order; breaking changes first within a tool. */
export function diffTools(before: SnapshotTool[], after: SnapshotTool[]): ToolChange[] {
  const changes: ToolChange[] = [];
  const old = new Map(before.map((t) => [t.name, t]));
  const now = new Map(after.map((t) => [t.name, t]));
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  for (const name of names) {
    const a = old.get(name);
    const b = now.get(name);
    if (!b) changes.push({ tool: name, kind: 'tool-removed', impact: 'breaking', message: 'is not advertised any more' });
    else if (!a) changes.push({ tool: name, kind: 'tool-added', impact: 'compatible', message: `new tool (scope "${b.scope}")` });
    else changes.push(...diffTool(a, b));
  }
  return changes;
}

function diffTool(a: SnapshotTool, b: SnapshotTool): ToolChange[] {
  const tool = a.name;
  const out: ToolChange[] = [];
  if (a.scope !== b.scope) out.push({ tool, kind: 'scope-changed', impact: 'breaking', message: `needs scope "${b.scope}" now (was "${a.scope}"): a consumer's token may lack it` });

  // Breaking: every violation, by the new tool, of the contracts the old tool implied.
  const breaking = [...violations(contractOf(a, full), b), ...violations(contractOf(a, requiredOnly), b)];
  const seen = new Set<string>();
  const unique = breaking.filter((v) => !seen.has(`${v.field}\n${v.message}`) && seen.add(`${v.field}\n${v.message}`));

  // Everything that differs, path by path, named as verify.ts names fields.
  const structural: Omit<ToolChange, 'impact' | 'tool'>[] = [];
  walk(a.inputSchema as JsonSchema, b.inputSchema as JsonSchema, '', 'input', structural);
  walk(resultSchema(a.outputSchema), resultSchema(b.outputSchema), '', 'output', structural);

  // A structural change a violation explains is reported once, as that violation.
  const explains = (field: string, v: ContractViolation) => v.field === field || v.field.startsWith(`${field}.`) || v.field.startsWith(`${field}[]`);
  for (const v of unique) {
    const kind = structural.find((s) => s.field !== undefined && explains(s.field, v))?.kind ?? 'type-changed';
    out.push({ tool, kind, impact: 'breaking', field: v.field, message: v.message });
  }
  for (const s of structural) {
    if (s.field !== undefined && unique.some((v) => explains(s.field!, v))) continue;
    out.push({ tool, ...s, impact: s.kind === 'description-changed' ? 'cosmetic' : 'compatible' });
  }

  const annotations = differingKeys(a.annotations ?? {}, b.annotations ?? {});
  if (annotations.length) out.push({ tool, kind: 'annotations-changed', impact: 'compatible', message: `annotations: ${annotations.join(', ')}` });
  if ((a.title ?? '') !== (b.title ?? '')) out.push({ tool, kind: 'title-changed', impact: 'cosmetic', message: `title is now "${b.title ?? ''}" (was "${a.title ?? ''}")` });
  if ((a.description ?? '') !== (b.description ?? '')) out.push({ tool, kind: 'description-changed', impact: 'cosmetic', message: 'description changed' });
  return out;
}

/** The contract of a consumer of `tool` as it was: it sends what `sends` keeps of the input, reads every result field. */
function contractOf(tool: SnapshotTool, sends: (s: JsonSchema) => JsonSchema): ConsumerContract {
  return { consumer: 'a consumer', provider: '', tools: { [tool.name]: { sends: sends(tool.inputSchema as JsonSchema), reads: resultSchema(tool.outputSchema) } } };
}

function violations(contract: ConsumerContract, tool: SnapshotTool): ContractViolation[] {
  return verifyContract(contract, [tool]);
}

const full = (s: JsonSchema) => s;

/** The same schema with only the required properties, at every level: a consumer that sends no optional argument. */
function requiredOnly(s: JsonSchema): JsonSchema {
  if (!s || typeof s !== 'object') return s;
  const out: JsonSchema = { ...s };
  if (s.properties) {
    const required = new Set(s.required ?? []);
    out.properties = Object.fromEntries(Object.entries(s.properties).filter(([name]) => required.has(name)).map(([name, p]) => [name, requiredOnly(p)]));
  }
  if (s.items) out.items = requiredOnly(s.items);
  if (s.anyOf) out.anyOf = s.anyOf.map(requiredOnly);
  if (s.oneOf) out.oneOf = s.oneOf.map(requiredOnly);
  return out;
}

/** Keywords compared as the "type" of a schema: everything but structure and prose. */
const NOT_SHAPE = new Set(['properties', 'required', 'items', 'anyOf', 'oneOf', 'description', 'title', '$schema']);

function shape(s: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s ?? {})) if (!NOT_SHAPE.has(key)) out[key] = value;
  const branches = s?.anyOf ?? s?.oneOf;
  if (branches) out[s.anyOf ? 'anyOf' : 'oneOf'] = branches.map(shape);
  return out;
}

/** The schema whose properties and items describe the value (the object branch of an anyOf, as verify.ts reads it). */
function structure(s: JsonSchema | undefined): JsonSchema {
  if (!s) return {};
  if (s.properties || s.items) return s;
  return (s.anyOf ?? s.oneOf ?? []).find((b) => b.properties || b.items) ?? {};
}

/** JSON with sorted keys, so key order never counts as a change. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** `maximum 1000 → 5000`, `enum ["a"] → ["a","b"]`, `format "uuid" → none` for each key that differs. */
function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const show = (v: unknown) => (v === undefined ? 'none' : stable(v));
  return keys.filter((k) => stable(a[k]) !== stable(b[k])).map((k) => `${k} ${show(a[k])} → ${show(b[k])}`);
}

type Structural = Omit<ToolChange, 'impact' | 'tool'>;

function walk(a: JsonSchema, b: JsonSchema, prefix: string, side: 'input' | 'output', out: Structural[]): void {
  const label = prefix || (side === 'input' ? 'arguments' : 'result');
  const keys = differingKeys(shape(a), shape(b));
  if (keys.length) out.push({ kind: 'type-changed', field: label, message: `${label}: ${keys.join(', ')}` });
  if ((a?.description ?? '') !== (b?.description ?? '')) out.push({ kind: 'description-changed', field: label, message: `${label}: description changed` });
  const sa = structure(a);
  const sb = structure(b);
  const pa = sa.properties ?? {};
  const pb = sb.properties ?? {};
  const ra = new Set(sa.required ?? []);
  const rb = new Set(sb.required ?? []);
  const at = (name: string) => (prefix ? `${prefix}.${name}` : side === 'input' ? `argument ${name}` : `result field ${name}`);
  for (const name of [...new Set([...Object.keys(pa), ...Object.keys(pb)])]) {
    const field = at(name);
    if (!(name in pb)) {
      out.push({ kind: side === 'input' ? 'argument-removed' : 'field-removed', field, message: `removes ${field}` });
    } else if (!(name in pa)) {
      if (side === 'input') out.push({ kind: 'argument-added', field, message: `adds ${rb.has(name) ? 'required' : 'optional'} ${field}` });
      else out.push({ kind: 'field-added', field, message: `adds ${field}${rb.has(name) ? '' : ' (not always present)'}` });
    } else {
      if (ra.has(name) !== rb.has(name)) {
        if (side === 'input') out.push({ kind: rb.has(name) ? 'argument-required' : 'argument-optional', field, message: `${field} is ${rb.has(name) ? 'required' : 'optional'} now` });
        else out.push({ kind: rb.has(name) ? 'field-required' : 'field-optional', field, message: `${field} is ${rb.has(name) ? 'always present' : 'not always present'} now` });
      }
      walk(pa[name], pb[name], field, side, out);
    }
  }
  if (sa.items && sb.items) walk(sa.items, sb.items, `${prefix}[]`, side, out);
}

/** How one consumer's contract on the provider fares with the new tools. */
export interface ConsumerImpact {
  consumer: string;
  provider: string;
  /** The provider's tools the consumer uses. */
  uses: string[];
  /** Those of them this release changes. */
  changed: string[];
  /** How the new tools break the consumer's contract (empty: it still holds). */
  violations: ContractViolation[];
}

export function consumerImpact(contracts: ConsumerContract[], changes: ToolChange[], after: SnapshotTool[]): ConsumerImpact[] {
  return contracts.map((contract) => {
    const uses = Object.keys(contract.tools).sort();
    return {
      consumer: contract.consumer,
      provider: contract.provider,
      uses,
      changed: uses.filter((tool) => changes.some((c) => c.tool === tool)),
      violations: verifyContract(contract, after),
    };
  });
}
