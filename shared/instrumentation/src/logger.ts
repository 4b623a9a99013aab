import winston from 'winston';
import TransportStream from 'winston-transport';
import { trace } from '@opentelemetry/api';
import { describeError, redactFields } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Extra transports (tests capture lines with a stream transport). */
  transports?: winston.transport[];
}

/** Adds `trace_id` / `span_id` of the active span to every line. */
const traceCorrelation = winston.format((info) => {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (ctx && ctx.traceId !== '00000000000000000000000000000000') {
    info.trace_id = ctx.traceId;
    info.span_id = ctx.spanId;
  }
  return info;
});

/** Fields the logger itself sets: never personal data, not worth scanning. */
const OWN_FIELDS: ReadonlySet<string> = new Set(['level', 'service', 'timestamp', 'trace_id', 'span_id', 'duration_ms']);

/**
 * The redaction layer on every line: a driver error spread into the line
 * (winston copies an Error's own fields) keeps only its code and statement
 * shape; everything else goes through `redactFields`.
 */
const redaction = winston.format((info) => {
  const fields = info as Record<string, unknown>;
  if (typeof fields.query === 'string' && ('parameters' in fields || 'severity' in fields)) {
    const safe = describeError({ query: fields.query, code: fields.code, severity: fields.severity });
    for (const key of ['query', 'parameters', 'params', 'detail', 'where', 'hint', 'stack', 'severity', 'code', 'args', 'types']) delete fields[key];
    Object.assign(fields, safe);
  }
  redactFields(fields, OWN_FIELDS);
  return info;
});

const MESSAGE = Symbol.for('message'); // triple-beam's: the formatted line

let corked = false;

function uncork(): void {
  if (!corked) return;
  corked = false;
  process.stdout.uncork();
}

/**
 * Every line on stdout, as winston's Console transport writes it, but the
 * lines logged in one turn of the event loop leave in one write: under load a
 * write per line (a system call that also wakes the reader of the pipe) was
 * a tenth of a cached read's samples. The lines are flushed at the next
 * turn and, synchronously, when the process exits (`process.exit`, an
 * uncaught exception), so none is lost but to SIGKILL.
 */
export class StdoutLines extends TransportStream {
  private static exitHooked = false;

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    if (!corked) {
      corked = true;
      process.stdout.cork();
      setImmediate(uncork);
      if (!StdoutLines.exitHooked) {
        StdoutLines.exitHooked = true;
        process.on('exit', uncork);
      }
    }
    process.stdout.write(`${String(info[MESSAGE])}\n`);
    callback();
  }
}

/** JSON-lines logger: `{service, level, message, trace_id, span_id, timestamp, …}`. */
export function createLogger(options: LoggerOptions): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: winston.format.combine(redaction(), traceCorrelation(), winston.format.timestamp(), winston.format.json()),
    transports: options.transports ?? [new StdoutLines()],
  });
}
