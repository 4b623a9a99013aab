import { z } from 'zod';
import type { Logger } from '@fedmcp/instrumentation';
import type { Touch, Transact } from './audit/audit-call';

/** Who a party is: the token's subject and the OAuth client it used. */
export interface PartyRef {
  sub: string;
  client_id: string;
}

/**
 * The authenticated caller of a request. In open mode (no AUTH_ISSUER) every
 * caller is `sub: 'anonymous'` with the client address as `client_id`.
 */
export interface Principal extends PartyRef {
  /** Scopes granted to the token (open mode: every scope of the service). */
  scopes: string[];
}

/** `params._meta` key under which a service calling another names the end user it acts for. */
export const ON_BEHALF_OF_META = 'io.fedmcp/on_behalf_of';

/** What a tool handler gets besides its validated input. */
export interface ToolContext {
  /** Aborted when the tool's time budget runs out. */
  signal: AbortSignal;
  logger: Logger;
  /** Who is calling (never carries the token). */
  principal: Principal;
  /** The end user an upstream caller acts for (`params._meta["io.fedmcp/on_behalf_of"]`), or null. */
  onBehalfOf: PartyRef | null;
  /**
   * Runs a change in one database transaction that also appends this call's
   * audit event before it commits (SPEC "Audit trail"). Every tool that
   * changes data makes its change through it, once per call; `touch` inside
   * records the ids it created or changed. Use only `tx` inside.
   */
  transaction: Transact;
  /** Records ids (`cus_…`, `ord_…`) the call read or listed in its audit event (ids among its arguments are recorded anyway). */
  touch: Touch;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  /** Our tools act on our own data: false unless said otherwise. */
  openWorldHint?: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  /** Written for a model: when to use it and what comes back. */
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** The OAuth scope a caller needs for this tool (SPEC, Security); named in the listed description. */
  scope: string;
  handler: (input: z.output<I>, ctx: ToolContext) => Promise<z.input<O>>;
  /** Overrides the service-wide TOOL_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Identity helper that keeps the input/output types tied to the handler. */
export function defineTool<I extends z.ZodObject, O extends z.ZodType>(definition: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return definition;
}

/** A static resource (`schema://customers`) or a template (`customer://{customer_id}`). */
export interface ResourceDefinition {
  name: string;
  title: string;
  description: string;
  mimeType: string;
  /** Fixed URI, or a URI template with `{variables}`. */
  uri: string;
  /** For templates: enumerate some concrete resources (may be a first page). */
  list?: () => Promise<{ uri: string; name: string }[]>;
  /** For templates: the variables' schema (e.g. `{ customer_id: idOf('cus', …) }`), checked before `read`; a mismatch is "not found", no query runs. */
  variables?: z.ZodObject;
  /** Returns the resource body (serialised as JSON unless it is a string), or undefined when absent. */
  read: (uri: URL, variables: Record<string, string>) => Promise<unknown>;
}

export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition;
}

export interface PromptDefinition<A extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  args: A;
  build: (args: z.output<A>) => Promise<{ role: 'user' | 'assistant'; text: string }[]>;
}

export function definePrompt<A extends z.ZodObject>(definition: PromptDefinition<A>): PromptDefinition<A> {
  return definition;
}

/** Formats zod issues for a VALIDATION_ERROR the model can act on. */
export function describeIssues(error: z.ZodError, prefix: (string | number)[] = []) {
  const issues = error.issues.flatMap((issue) => {
    // An unknown argument is reported on its parent object: name the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const path = [...prefix, ...issue.path, ...(key === undefined ? [] : [key])].map(String);
      const message = key === undefined ? issue.message : 'is not a known argument of this tool; check the spelling against the input schema';
      return { path: path.join('.') || '(arguments)', message };
    });
  });
  const message = `Invalid arguments: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}. Fix these fields and call again.`;
  return { message, details: { path: issues[0]?.path, issues } };
}
