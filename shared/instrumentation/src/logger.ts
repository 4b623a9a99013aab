import winston from 'winston';
import { trace } from '@opentelemetry/api';

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

/** JSON-lines logger: `{service, level, message, trace_id, span_id, timestamp, …}`. */
export function createLogger(options: LoggerOptions): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: winston.format.combine(traceCorrelation(), winston.format.timestamp(), winston.format.json()),
    transports: options.transports ?? [new winston.transports.Console()],
  });
}
