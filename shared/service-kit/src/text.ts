import { z } from 'zod';

/**
 * Text input every tool builds its string fields from. PostgreSQL refuses NUL
 * in `text`, a lone UTF-16 surrogate cannot be stored as UTF-8 (it would come
 * back as U+FFFD), and control characters in names and keys are never
 * intended: all are refused here, before any query, as VALIDATION_ERROR
 * naming the field, so what a tool stores is byte for byte what it read back.
 */

/** C0 controls (U+0000–U+001F) and DEL. */
const CONTROL = /[\u0000-\u001F\u007F]/;
/** The same, minus tab, line feed and carriage return (allowed in free text). */
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoint = (char: string) => `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Adds the control-character and surrogate checks to a string schema. */
function clean(schema: z.ZodString, allowLineBreaks: boolean): z.ZodString {
  const control = allowLineBreaks ? CONTROL_EXCEPT_LINE_BREAKS : CONTROL;
  const allowed = allowLineBreaks ? ' (tab and line breaks are allowed)' : '';
  return schema.check((ctx) => {
    const value = ctx.value;
    const bad = control.exec(value);
    if (bad) {
      ctx.issues.push({ code: 'custom', input: value, message: `must not contain control characters${allowed}; found ${codePoint(bad[0])} at position ${bad.index}` });
    } else if (LONE_SURROGATE.test(value)) {
      ctx.issues.push({ code: 'custom', input: value, message: 'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)' });
    }
  });
}

export interface TextOptions {
  /** Longest accepted length, in UTF-16 code units (what JavaScript's `length` counts). */
  max: number;
  /** Shortest accepted length after trimming; default 1 (required fields must not be empty). */
  min?: number;
  /** Trim surrounding whitespace before checking (default true; false for opaque keys). */
  trim?: boolean;
  /** Message when shorter than `min`. */
  emptyMessage?: string;
}

function bounded(options: TextOptions, allowLineBreaks: boolean): z.ZodString {
  const base = options.trim === false ? z.string() : z.string().trim();
  const min = options.min ?? 1;
  const sized = base.max(options.max, `must be at most ${options.max} characters`);
  return clean(min > 0 ? sized.min(min, options.emptyMessage ?? (min === 1 ? 'must not be empty' : `must be at least ${min} characters`)) : sized, allowLineBreaks);
}

/** Single-line text (names, reasons, keys): no control characters at all. */
export function text(options: TextOptions): z.ZodString {
  return bounded(options, false);
}

/** Free text (descriptions, notes): like `text`, but tab and line breaks are allowed. */
export function freeText(options: TextOptions): z.ZodString {
  return bounded(options, true);
}

/** A search query: trimmed single-line text, 1–200 characters. */
export const searchQuery = text({ max: 200 });

/** An e-mail address (ASCII, at most 254 characters as RFC 5321 allows). */
export const emailAddress = z.email('must be a valid email address such as "ada@example.com"').max(254, 'must be at most 254 characters');

/** A phone number: digits, spaces and + ( ) - . only. */
export const phoneNumber = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(40, 'must be at most 40 characters')
  .regex(/^[+0-9 ()\-.]+$/, 'may contain only digits, spaces and + ( ) - .');
