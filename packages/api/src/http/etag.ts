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
 * Does the `If-Match` header let a change to a resource at `version` go ahead?
 * RFC 9110 §13.1.1: `*` matches any current representation; otherwise one of the listed tags
 * must match by strong comparison (§8.8.3.2), so a weak tag (`W/"3"`) never matches.
 * Without the header every change goes ahead (clients that send none keep last-write-wins).
 */
export function ifMatchAllows(header: string | string[] | undefined, version: number): boolean {
  if (header === undefined) return true;
  if (isAnyTag(header)) return true;
  const value = Array.isArray(header) ? header.join(',') : header;
  const current = etagOf(version);
  return value.split(',').some((tag) => tag.trim() === current);
}

/**
 * Whether the `If-Match` header is `*`: any current representation satisfies it (RFC 9110
 * §13.1.1), so a conditional write needs no version, only the resource's existence.
 */
export function isAnyTag(header: string | string[]): boolean {
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.trim() === '*';
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
      `The ${what} changed since you last read it (If-Match does not match its ETag). The current state is in \`current\`.`,
    );
    this.current = current;
  }
}
