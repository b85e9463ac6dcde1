import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './problem.js';

/**
 * Entity tags and `If-Match` for versioned resources (todos; lists can use the same helpers).
 * A resource's version is an integer that grows on every change; its entity tag is the
 * version as a strong tag, `"<version>"` (RFC 9110 §8.8.3).
 */

/** The strong entity tag of `version`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * A list of entity-tags (RFC 9110 §8.8.3: `entity-tag = [ W/ ] DQUOTE *etagc DQUOTE`, etagc
 * %x21 / %x23-7E / obs-text) as §5.6.1 writes lists: separated by commas with optional
 * whitespace around them, empty elements allowed (and ignored).
 */
const TAG = '(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"';
const TAG_LIST = new RegExp(`^[\t ]*(?:${TAG}[\t ]*)?(?:,[\t ]*(?:${TAG}[\t ]*)?)*$`);
const TAGS = new RegExp(TAG, 'g');

/**
 * What an `If-Match` or `If-None-Match` field says (RFC 9110 §13.1.1, §13.1.2: `"*" /
 * #entity-tag`): `*`, the entity-tags it lists (as sent, `W/` kept), or `null` for a value that
 * is neither, such as `*` among tags (`*, "1"`) or a tag without its quotes. Repeated fields are
 * one list (§5.3), so `*` in one of them and a tag in another is neither too.
 */
export function entityTagsOf(header: string | string[]): '*' | string[] | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return '*';
  return TAG_LIST.test(value) ? (value.match(TAGS) ?? []) : null;
}

/**
 * Does the `If-Match` header let a change to a resource at `version` go ahead?
 * RFC 9110 §13.1.1: `*` matches any current representation; a list of entity-tags holds one
 * matching by strong comparison (§8.8.3.2), so a weak tag (`W/"3"`) never matches; any other
 * value (`*` among tags, a tag unquoted) is false: "Otherwise, the condition is false", never a
 * write the client meant to be conditional let through by whichever tag of it happens to match.
 * Without the header every change goes ahead (clients that send none keep last-write-wins).
 */
export function ifMatchAllows(header: string | string[] | undefined, version: number): boolean {
  if (header === undefined) return true;
  const field = entityTagsOf(header);
  if (field === '*') return true;
  return field?.includes(etagOf(version)) === true;
}

/**
 * Whether the `If-Match` header is `*`: any current representation satisfies it (RFC 9110
 * §13.1.1), so a conditional write needs no version, only the resource's existence.
 */
export function isAnyTag(header: string | string[]): boolean {
  return entityTagsOf(header) === '*';
}

/** One listed entity tag's opaque-tag, its weakness indicator (`W/`) dropped (RFC 9110 §8.8.3). */
const opaqueTag = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * Does the `If-None-Match` header let a change to a resource at `version` go ahead? RFC 9110
 * §13.1.2: `*` is false when the resource has a current representation (callers evaluate it
 * only with one), and a listed tag matching by weak comparison (§8.8.3.2: the opaque-tags alone,
 * so `W/"3"` matches `"3"`) is false too; a method other than GET or HEAD is then answered 412.
 * Any other value (`*` among tags, a tag unquoted) is true: "Otherwise, the condition is true".
 */
export function ifNoneMatchAllows(header: string | string[] | undefined, version: number): boolean {
  if (header === undefined) return true;
  const field = entityTagsOf(header);
  if (field === '*') return false;
  const current = etagOf(version);
  return field === null || !field.some((tag) => opaqueTag(tag) === current);
}

/**
 * RFC 9110 §13.2.2 on a GET of one versioned resource at `version`: 412 when `If-Match` is
 * false (step 1, §13.1.1), 304 Not Modified (§15.4.5) when `If-None-Match` is (step 3,
 * §13.1.2), else 200 with the representation. Only for a resource whose whole body moves its
 * version (a todo): a list's body carries counts and the caller's relation besides its version.
 */
export function readStatus(headers: IncomingHttpHeaders, version: number): 200 | 304 | 412 {
  if (!ifMatchAllows(headers['if-match'], version)) return 412;
  return ifNoneMatchAllows(headers['if-none-match'], version) ? 200 : 304;
}

/** 304 Not Modified as the OpenAPI document lists it on a GET of one versioned resource. */
export const notModifiedResponse = {
  304: {
    description:
      'Not Modified (RFC 9110 §15.4.5): `If-None-Match` names the current `ETag` (weak comparison, §13.1.2) or is `*`; no body',
    type: 'null',
  },
} as const;

/** The precondition fields of a request on a versioned resource (RFC 9110 §13.1). */
export interface Preconditions {
  readonly ifMatch: string | string[] | undefined;
  readonly ifNoneMatch: string | string[] | undefined;
}

/**
 * A request's `If-Match` and `If-None-Match`. `If-Unmodified-Since` and `If-Modified-Since` are
 * not read: the API's resources have no modification date (no `Last-Modified`), and a recipient
 * MUST ignore them then (RFC 9110 §13.1.4, §13.1.3).
 */
export function preconditionsOf(headers: IncomingHttpHeaders): Preconditions {
  return { ifMatch: headers['if-match'], ifNoneMatch: headers['if-none-match'] };
}

/** Whether a request sent any precondition. */
export function isConditional(p: Preconditions): boolean {
  return p.ifMatch !== undefined || p.ifNoneMatch !== undefined;
}

/**
 * Whether evaluating the preconditions needs the resource's version: not without any, nor with
 * `If-Match: *` alone, which any current representation satisfies (the write finds it or 404s).
 */
export function needsVersion(p: Preconditions): boolean {
  return p.ifNoneMatch !== undefined || (p.ifMatch !== undefined && !isAnyTag(p.ifMatch));
}

/**
 * RFC 9110 §13.2.2's order for a write: `If-Match` first (step 1, strong comparison), then
 * `If-None-Match` (step 3, weak comparison); a false one is a 412 (§13.1.1, §13.1.2).
 */
export function preconditionsAllow(p: Preconditions, version: number): boolean {
  return ifMatchAllows(p.ifMatch, version) && ifNoneMatchAllows(p.ifNoneMatch, version);
}

/**
 * 412 Precondition Failed (RFC 9110 §15.5.13) carrying the resource's current state, so the
 * client can show both versions and let its user decide; the error handler adds the `ETag`.
 */
export class PreconditionFailed<T extends { version: number }> extends ApiError {
  readonly current: T;
  constructor(what: string, current: T) {
    super(
      'precondition_failed',
      `The ${what} changed since you last read it (its ETag fails If-Match or If-None-Match). The current state is in \`current\`.`,
    );
    this.current = current;
  }
}
