const UNIQUE_VIOLATION = '23505';

/** True for a PostgreSQL unique-constraint violation (either driver, wrapped or not). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code === UNIQUE_VIOLATION || e?.cause?.code === UNIQUE_VIOLATION;
}

/** `%query%` with LIKE wildcards escaped, so user text is matched literally. */
export function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
