import {
  decodeCursorParts,
  encodeCursorParts,
  InvalidCursorError,
} from '../repositories/cursor.js';
import { MAX_CURSOR_LENGTH } from '../schemas/common.js';

/** The most people one page of `GET /admin/idp/users` holds (and its default). */
export const MAX_USER_PAGE = 100;

/** Keycloak's `first` is an `Integer`: an offset past it is none the API issued. */
const OFFSET = /^(0|[1-9]\d{0,8})$/;

/**
 * A provider's user id, as the cursor carries it back (only ever compared, never sent): any
 * characters but controls (Unicode's Cc). Keycloak's own users have UUIDs, but a user of a
 * storage provider (LDAP without import, a custom user store) has `f:<component id>:<external
 * id>`, which may be a username in any script, with spaces.
 */
const ANCHOR = /^\P{Cc}{1,255}$/u;

/**
 * How many people before (and after) the next page's offset are read to find where it starts:
 * as many people added or removed before it between two pages are made up for.
 */
export const LOOK_BACK = 2;

/**
 * The same for the one wider read made when the last person shown is not within
 * {@link LOOK_BACK} of the offset (more people added or removed before them, or they were
 * deleted): as many as a page holds. Only then: the read is of up to three pages' people.
 */
export const FAR_LOOK_BACK = MAX_USER_PAGE;

/** Where the next page starts: an offset, and the id of the last person of the page before. */
export interface UserPagePosition {
  readonly offset: number;
  readonly anchor: string | undefined;
}

/**
 * Keycloak's Admin REST API pages users by offset only (`GET /users?first=&max=`, in its own
 * stable order), so a person created or deleted between two pages moves the later ones by one.
 * A page's cursor therefore names the offset of the next one and the last person shown (opaque,
 * as every cursor of the API is): the next page is read from {@link LOOK_BACK} people earlier
 * (once more from {@link FAR_LOOK_BACK} when that person is not near) and starts right after
 * that person wherever they now are (see {@link pageStart}).
 */
export function userPageCursor(offset: number, anchor: string): string {
  const named = encodeCursorParts([String(offset), anchor]);
  // An id too long to be carried back within the cursor's length leaves the offset alone (the
  // page then read by offset only, as before cursors named the last person): never a cursor
  // the API would refuse.
  return named.length <= MAX_CURSOR_LENGTH && ANCHOR.test(anchor)
    ? named
    : encodeCursorParts([String(offset)]);
}

/**
 * The position a cursor of {@link userPageCursor} names (offset 0 without one). A cursor of the
 * offset alone, as the API issued before it named the last person too, is still followed.
 *
 * @throws {InvalidCursorError} when the cursor is not one this API issued.
 */
export function userPagePosition(cursor: string | undefined): UserPagePosition {
  if (cursor === undefined) return { offset: 0, anchor: undefined };
  let parts: string[];
  try {
    parts = decodeCursorParts(cursor, 2);
  } catch {
    parts = decodeCursorParts(cursor, 1);
  }
  const [offset = '', anchor] = parts;
  if (!OFFSET.test(offset) || (anchor !== undefined && !ANCHOR.test(anchor)))
    throw new InvalidCursorError('cursor is not one this API issued');
  return { offset: Number(offset), anchor };
}

/**
 * Where in `read` (the people from `offset - LOOK_BACK` to `offset + LOOK_BACK`, or
 * {@link FAR_LOOK_BACK}) the next page starts: right after the anchor, where people added or
 * removed before it have moved it. When the anchor is not among them (deleted meanwhile, or
 * more changed than the read looks back), at the start of what was read: a person may then come
 * again (clients show each id once), but nobody is skipped unless more than LOOK_BACK people
 * before the anchor were removed along with it.
 */
export function pageStart(
  read: readonly { readonly id?: string | undefined }[],
  anchor: string | undefined,
): number {
  if (anchor === undefined) return 0;
  const at = read.findIndex((person) => person.id === anchor);
  return at < 0 ? 0 : at + 1;
}
