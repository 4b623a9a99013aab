export * from './semconv';
export * from './sdk';
export * from './metrics';
export * from './logger';
export * from './mcp-spans';
export * from './db-spans';
export { context, trace, SpanStatusCode } from '@opentelemetry/api';
export type { Span, Context } from '@opentelemetry/api';
