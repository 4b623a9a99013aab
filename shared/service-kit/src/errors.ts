/** SPEC error codes a tool call can fail with. */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'NOT_FOUND',
  'CONFLICT',
  'INSUFFICIENT_STOCK',
  'PAYMENT_DECLINED',
  'CUSTOMER_INACTIVE',
  'DEPENDENCY_UNAVAILABLE',
  'TIMEOUT',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The `structuredContent.error` of a failed tool call. */
export interface ToolErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * A business failure a tool reports to the model: becomes an `isError`
 * result with this code. Anything else thrown is a bug and becomes INTERNAL.
 * `message` must tell the model how to fix its call.
 */
export class ToolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ToolError';
  }

  toBody(): ToolErrorBody {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

export const notFound = (what: string, id: string, hint = '') =>
  new ToolError('NOT_FOUND', `No ${what} with id "${id}".${hint ? ' ' + hint : ''}`, { id });

export const conflict = (message: string, details?: unknown) => new ToolError('CONFLICT', message, details);

export const validationError = (message: string, details?: unknown) => new ToolError('VALIDATION_ERROR', message, details);

export function isToolError(error: unknown): error is ToolError {
  return error instanceof ToolError;
}
