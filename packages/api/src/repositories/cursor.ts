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

/** Makes an opaque cursor (base64url) from a row's sort key. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

/**
 * Reads a cursor back, checking both parts so nothing unvalidated reaches SQL.
 *
 * @throws {InvalidCursorError} when the cursor is malformed.
 */
export function decodeCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursorError('cursor is not one this API issued', { cause });
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    !ISO.test(parsed[0]) ||
    !isRealInstant(parsed[0]) ||
    !UUID.test(parsed[1])
  ) {
    throw new InvalidCursorError('cursor is not one this API issued');
  }
  return { at: parsed[0], id: parsed[1] };
}
