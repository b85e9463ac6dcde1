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
 * A claim value as a list: a JSON array of strings, or a space- or comma-separated string
 * (RFC 8693 §4.2 `scope` is space-separated). Anything else is empty.
 */
export function toList(value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s.length > 0);
  if (Array.isArray(value))
    return value.filter((s): s is string => typeof s === 'string' && s !== '');
  return [];
}
