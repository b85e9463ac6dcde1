/** Reads a claim by path segments; `undefined` when any step is missing. */
export function readClaim(
  claims: Readonly<Record<string, unknown>>,
  path: readonly string[],
): unknown {
  let value: unknown = claims;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Splits a dot path (`realm_access.roles`) into segments. */
export function splitPath(path: string): readonly string[] {
  return Object.freeze(path.split('.').filter((s) => s.length > 0));
}

/**
 * A configured claim's value (roles, permissions) as a list: a JSON array of strings, or a
 * space- or comma-separated string, as custom mappers write role lists. Not for `scope`
 * ({@link toScopes}). Anything else is empty.
 */
export function toList(value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s.length > 0);
  return stringsOf(value);
}

/**
 * A `scope` value as a list. RFC 6749 §3.3 (and RFC 9068 §2.2.3, RFC 7662 §2.2) define it as
 * scope-tokens delimited by spaces, and a comma is a legal scope-token character (NQCHAR): `a,b`
 * is one scope, not two. A JSON array of strings (`scp`, as some providers send) is taken as is.
 */
export function toScopes(value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0);
  return stringsOf(value);
}

function stringsOf(value: unknown): readonly string[] {
  if (Array.isArray(value))
    return value.filter((s): s is string => typeof s === 'string' && s !== '');
  return [];
}
