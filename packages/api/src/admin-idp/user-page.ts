import {
  decodeCursorParts,
  encodeCursorParts,
  InvalidCursorError,
} from '../repositories/cursor.js';

/** The most people one page of `GET /admin/idp/users` holds (and its default). */
export const MAX_USER_PAGE = 100;

/** Keycloak's `first` is an `Integer`: an offset past it is none the API issued. */
const OFFSET = /^(0|[1-9]\d{0,8})$/;

/**
 * Keycloak's Admin REST API pages users by offset (`GET /users?first=&max=`, in its own stable
 * order), so a page's cursor is the offset of the next one, opaque as every cursor of the API
 * is. A person created or deleted between two pages moves the later ones by one, as it does in
 * Keycloak's own console.
 */
export function userPageCursor(offset: number): string {
  return encodeCursorParts([String(offset)]);
}

/**
 * The offset a cursor of {@link userPageCursor} names (0 without one).
 *
 * @throws {InvalidCursorError} when the cursor is not one this API issued.
 */
export function userPageOffset(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const [offset = ''] = decodeCursorParts(cursor, 1);
  if (!OFFSET.test(offset)) throw new InvalidCursorError('cursor is not one this API issued');
  return Number(offset);
}
