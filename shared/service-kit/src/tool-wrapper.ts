import { z } from 'zod';
import { markToolError, trace, Logger, ServiceMetrics, Span } from '@fedmcp/instrumentation';
import { ToolError, ToolErrorBody, isToolError } from './errors';
import { ToolDefinition, describeIssues } from './tools';

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
}

function ok(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

export function errorResult(body: ToolErrorBody): ToolResult {
  const structured = { error: body };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, isError: true };
}

class TimeoutSignal extends Error {}

/** PostgreSQL / driver failures that are the database's state, not a bug: mapped to retryable codes. */
function databaseFailure(error: unknown, tool: string): ToolErrorBody | undefined {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (code === '57014' || code === '55P03') {
    return { code: 'TIMEOUT', message: `${tool} waited too long on the database (busy or locked); try again shortly.` };
  }
  if (code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'CONNECT_TIMEOUT' || code === 'CONNECTION_CLOSED' || code === 'CONNECTION_ENDED' || code === 'CONNECTION_DESTROYED') {
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
  const message = error instanceof Error ? error.message : String(error);
  const database = databaseFailure(error, tool);
  if (database) {
    deps.logger.warn('tool failed on the database', { tool, error: message });
    return database;
  }
  deps.logger.error('tool failed with an unexpected error', { tool, error: message, stack: error instanceof Error ? error.stack : undefined });
  if (span && error instanceof Error) span.recordException(error);
  const traceId = span?.spanContext().traceId;
  return { code: 'INTERNAL', message: `Internal error in ${tool}; it has been logged${traceId ? ` with trace id ${traceId}` : ''}. Try again later.` };
}

/**
 * Wraps one tool so every call gets input validation, a time budget, metrics,
 * one log line, span status and error mapping: ToolError → `isError` result
 * with its code; anything else → INTERNAL, logged with the trace id, no
 * internals in the answer. Domain handlers cannot bypass it.
 */
export function wrapTool(tool: ToolDefinition, deps: WrapperDeps): (args: unknown) => Promise<ToolResult> {
  const budget = tool.timeoutMs ?? deps.timeoutMs;
  return async (args: unknown) => {
    const started = process.hrtime.bigint();
    const span = trace.getActiveSpan();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let result: ToolResult;
    let errorCode: string | undefined;
    try {
      const parsed = tool.input.safeParse(args ?? {});
      if (!parsed.success) {
        const { message, details } = describeIssues(parsed.error);
        throw new ToolError('VALIDATION_ERROR', message, details);
      }
      const run = tool.handler(parsed.data, { signal: controller.signal, logger: deps.logger });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutSignal()), budget);
      });
      const output = await Promise.race([run, timeout]);
      const checked = tool.output.safeParse(output);
      if (!checked.success) throw new Error(`tool ${tool.name} produced output that breaks its schema: ${z.prettifyError(checked.error)}`);
      result = ok(checked.data as Record<string, unknown>);
    } catch (error) {
      if (error instanceof TimeoutSignal) controller.abort();
      const body = errorBodyOf(error, tool.name, budget, deps, span);
      errorCode = body.code;
      deps.metrics.toolErrors.inc({ tool: tool.name, error_type: body.code });
      if (span) markToolError(span, body.code, body.message);
      result = errorResult(body);
    } finally {
      if (timer) clearTimeout(timer);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status = errorCode ? 'error' : 'success';
    deps.metrics.toolCalls.inc({ tool: tool.name, status });
    deps.metrics.toolDuration.observe({ tool: tool.name }, seconds);
    deps.logger.info('tool call', { tool: tool.name, status, duration_ms: Math.round(seconds * 1000), ...(errorCode ? { error_code: errorCode } : {}) });
    return result;
  };
}
