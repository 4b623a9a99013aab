import { z } from 'zod';
import { describeError, markToolError, trace, Logger, ServiceMetrics, Span } from '@fedmcp/instrumentation';
import { ToolError, ToolErrorBody, isToolError } from './errors';
import { PartyRef, Principal, ToolDefinition, describeIssues } from './tools';
import { onBehalfOfFrom } from './principal';
import type { AuditTrail } from './audit/audit-trail';

/** Who is calling, as the transport knows it: the principal and the request's `_meta`. */
export interface Caller {
  principal: Principal;
  meta?: Record<string, unknown>;
}

/** MCP `CallToolResult` shape we produce. */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent: Record<string, unknown>;
  isError?: boolean;
}

export interface WrapperDeps {
  metrics: ServiceMetrics;
  logger: Logger;
  timeoutMs: number;
  audit: AuditTrail;
}

const INVALID_TRACE_ID = /^0+$/;

/** The trace id of the call's span, when there is a real one (no SDK = all zeros). */
function traceIdOf(span: Span | undefined): string | undefined {
  const id = span?.spanContext().traceId;
  return id && !INVALID_TRACE_ID.test(id) ? id : undefined;
}

function ok(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

export function errorResult(body: ToolErrorBody): ToolResult {
  const structured = { error: body };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, isError: true };
}

class TimeoutSignal extends Error {}

/** The driver's error code, also when a wrapper (drizzle's DrizzleQueryError) carries the driver error as its cause. */
function driverCode(error: unknown): string {
  let code = '';
  for (let e = error, depth = 0; e && !code && depth < 5; e = (e as { cause?: unknown }).cause, depth++) code = String((e as { code?: unknown }).code ?? '');
  return code;
}

/** Socket and postgres.js codes of a connection refused or lost (also read by the unhandled-rejection handler, unhandled.ts). */
export const LOST_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/** Driver / SQLSTATE codes of a database that could not be reached (connection refused, lost, terminated). */
function unreachableCode(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'CONNECT_TIMEOUT' || LOST_CONNECTION_CODES.has(code);
}

/** Whether `error` says the database could not be reached, not a bug. */
export function isDatabaseUnreachable(error: unknown): boolean {
  return unreachableCode(driverCode(error));
}

/** PostgreSQL / driver failures that are the database's state, not a bug: mapped to retryable codes. */
function databaseFailure(error: unknown, tool: string): ToolErrorBody | undefined {
  const code = driverCode(error);
  // Text the database cannot store (NUL, bytes outside UTF-8): the input schemas refuse it first; this only backs them up.
  if (code === '22021' || code === '22P05') {
    return { code: 'VALIDATION_ERROR', message: `${tool} was given text with characters that cannot be stored (such as NUL); remove control characters and call again.` };
  }
  if (code === '57014' || code === '55P03') {
    return { code: 'TIMEOUT', message: `${tool} waited too long on the database (busy or locked); try again shortly.` };
  }
  if (unreachableCode(code)) {
    return { code: 'DEPENDENCY_UNAVAILABLE', message: `${tool} could not reach its database; try again shortly.` };
  }
  return undefined;
}

/** The SPEC error a failed call answers with; unexpected errors are logged and become INTERNAL. */
function errorBodyOf(error: unknown, tool: string, budget: number, deps: WrapperDeps, span: Span | undefined): ToolErrorBody {
  if (error instanceof TimeoutSignal) {
    deps.metrics.timeouts.inc({ tool });
    return { code: 'TIMEOUT', message: `${tool} did not finish within ${budget} ms. It may be retried; calls that change data are safe to repeat only where the tool says it is idempotent.` };
  }
  if (isToolError(error)) return error.toBody();
  // Never the raw message of a database error: drizzle's quotes the bound values.
  const described = describeError(error);
  const database = databaseFailure(error, tool);
  if (database) {
    deps.logger.warn('tool failed on the database', { tool, ...described });
    return database;
  }
  const stack = 'db_error_code' in described || !(error instanceof Error) ? undefined : error.stack;
  deps.logger.error('tool failed with an unexpected error', { tool, ...described, ...(stack ? { stack } : {}) });
  if (span && error instanceof Error) span.recordException(error);
  const traceId = span?.spanContext().traceId;
  return { code: 'INTERNAL', message: `Internal error in ${tool}; it has been logged${traceId ? ` with trace id ${traceId}` : ''}. Try again later.` };
}

/**
 * `schema.safeParse(args)`, where a value zod cannot even examine is refused
 * as invalid: zod's length checks run on any value with a `length` property
 * and compare it with a number, so an object in place of a string or list
 * whose `length` is an object with its own non-callable `toString` and
 * `valueOf` (`{"length":{"toString":1,"valueOf":1}}`, plain JSON) made it
 * throw a TypeError, answered INTERNAL. Such a value has the wrong type
 * anyway.
 */
function checkArguments<S extends z.ZodType>(schema: S, args: unknown): ReturnType<S['safeParse']> {
  try {
    return schema.safeParse(args) as ReturnType<S['safeParse']>;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new ToolError('VALIDATION_ERROR', 'Invalid arguments: a value has the wrong type (an object where text, a number or a list belongs). Fix the arguments and call again.');
  }
}

/**
 * Wraps one tool so every call gets input validation, a time budget, metrics,
 * one log line, span status and error mapping: ToolError → `isError` result
 * with its code; anything else → INTERNAL, logged with the trace id, no
 * internals in the answer. Domain handlers cannot bypass it.
 */
export function wrapTool(tool: ToolDefinition, deps: WrapperDeps): (args: unknown, caller: Caller) => Promise<ToolResult> {
  const budget = tool.timeoutMs ?? deps.timeoutMs;
  return async (args: unknown, caller: Caller) => {
    const { principal } = caller;
    let onBehalfOf: PartyRef | null = null;
    const started = process.hrtime.bigint();
    const span = trace.getActiveSpan();
    const audit = deps.audit.begin(tool.name, principal, traceIdOf(span));
    // Created when the handler asks for its signal (most never do) or when the budget runs out, whichever comes first.
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let run: Promise<unknown> | undefined;
    let result: ToolResult;
    let errorCode: string | undefined;
    try {
      onBehalfOf = onBehalfOfFrom(caller.meta);
      audit.onBehalfOf = onBehalfOf;
      const parsed = checkArguments(tool.input, args ?? {});
      if (!parsed.success) {
        const { message, details } = describeIssues(parsed.error);
        throw new ToolError('VALIDATION_ERROR', message, details);
      }
      audit.touchArguments(parsed.data);
      run = tool.handler(parsed.data, {
        get signal() {
          return (controller ??= new AbortController()).signal;
        },
        logger: deps.logger,
        principal,
        onBehalfOf,
        transaction: audit.transaction,
        touch: audit.touch,
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutSignal()), budget);
      });
      const output = await Promise.race([run, timeout]);
      const checked = tool.output.safeParse(output);
      if (!checked.success) throw new Error(`tool ${tool.name} produced output that breaks its schema: ${z.prettifyError(checked.error)}`);
      result = ok(checked.data as Record<string, unknown>);
    } catch (error) {
      // Aborted even if not asked for yet: a handler that asks after the budget ran out gets an aborted signal.
      if (error instanceof TimeoutSignal) (controller ??= new AbortController()).abort();
      const body = errorBodyOf(error, tool.name, budget, deps, span);
      errorCode = body.code;
      deps.metrics.toolErrors.inc({ tool: tool.name, error_type: body.code });
      if (span) markToolError(span, body.code, body.message);
      result = errorResult(body);
    } finally {
      if (timer) clearTimeout(timer);
    }
    // After a TIMEOUT answer the handler may still commit its change, whose own
    // audit row then records it; the outcome row waits until the handler is done.
    if (run && errorCode === 'TIMEOUT') void run.then(() => audit.finish('TIMEOUT'), () => audit.finish('TIMEOUT'));
    else audit.finish(errorCode ?? 'ok');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status = errorCode ? 'error' : 'success';
    deps.metrics.toolCalls.inc({ tool: tool.name, status });
    deps.metrics.toolDuration.observe({ tool: tool.name }, seconds);
    deps.logger.info('tool call', {
      tool: tool.name,
      status,
      duration_ms: Math.round(seconds * 1000),
      sub: principal.sub,
      client_id: principal.client_id,
      ...(onBehalfOf ? { on_behalf_of: onBehalfOf.sub } : {}),
      ...(errorCode ? { error_code: errorCode } : {}),
    });
    return result;
  };
}
