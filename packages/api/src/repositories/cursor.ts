/** The position after which the next page starts: the last row's sort key. */
export interface CursorPosition {
  readonly at: string;
  readonly id: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The shape alone lets `2024-13-45T99:99:99.999Z` through, which PostgreSQL's `timestamptz`
 * refuses with SQLSTATE 22008/22007: only an instant that round-trips through `Date` exactly
 * (as {@link encodeCursor}'s did) is one this API issued. Year 0 round-trips too, but
 * PostgreSQL's calendar has none (1 BC precedes AD 1) while SQLite compares the text: no todo
 * was created then, and the cursor is refused alike on both. Every cursor naming an instant
 * (`/todos/`, `/admin/audit`, `/admin/agents/grant-ends`) checks it with this.
 */
export function isRealInstant(at: string): boolean {
  const ms = Date.parse(at);
  return !Number.isNaN(ms) && ms >= FIRST_INSTANT && new Date(ms).toISOString() === at;
}

/** The first instant of year 1, the earliest a cursor may name. */
const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');

/** A cursor that was not produced by {@link encodeCursor}. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'ERR_INVALID_CURSOR';
}

/** Makes an opaque cursor (base64url JSON of its parts, the form of every cursor of the API). */
export function encodeCursorParts(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * Reads back the parts of a cursor {@link encodeCursorParts} made: `length` strings, each
 * still to be checked by the caller before it reaches SQL.
 *
 * @throws {InvalidCursorError} when the cursor is not base64url JSON of that many strings.
 */
export function decodeCursorParts(cursor: string, length: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursorError('cursor is not one this API issued', { cause });
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== length ||
    !parsed.every((part) => typeof part === 'string')
  )
    throw new InvalidCursorError('cursor is not one this API issued');
  return parsed as string[];
}

/** Whether `at` is an instant as a cursor names one: `toISOString`'s form, and real. */
export function isCursorInstant(at: string): boolean {
  return ISO.test(at) && isRealInstant(at);
}

/** Makes an opaque cursor from a row's sort key. */
export function encodeCursor(position: CursorPosition): string {
  return encodeCursorParts([position.at, position.id]);
}

/**
 * Reads a cursor back, checking both parts so nothing unvalidated reaches SQL.
 *
 * @throws {InvalidCursorError} when the cursor is malformed.
 */
export function decodeCursor(cursor: string): CursorPosition {
  const [at = '', id = ''] = decodeCursorParts(cursor, 2);
  if (!isCursorInstant(at) || !UUID.test(id))
    throw new InvalidCursorError('cursor is not one this API issued');
  return { at, id };
}
