import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';

/** The principal's values of an attribute, as a list. */
export function attributeValues(principal: Principal, attribute: string): readonly string[] {
  const value = principal.attributes[attribute];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** Whether the principal may act on data whose `attribute` is `value`: admins always, others only for their own. */
export function canAccessAttribute(
  principal: Principal,
  attribute: string,
  value: string,
): boolean {
  return principal.isAdmin || attributeValues(principal, attribute).includes(value);
}

/**
 * Resolves which attribute value a request may use ("non-admins only for their own
 * department"). Admins get what they asked for (`undefined` = all); others get their own value
 * when they ask for nothing or for their own, and a 403 otherwise.
 *
 * @example
 * ```ts
 * const department = scopeToAttribute(principal, 'department', query.department);
 * ```
 */
export function scopeToAttribute(
  principal: Principal,
  attribute: string,
  requested: string | undefined,
): string | undefined {
  if (principal.isAdmin) return requested;
  const own = attributeValues(principal, attribute);
  if (own.length === 0)
    throw new AuthError('insufficient_permission', `No ${attribute} is assigned to this account`, {
      missing: [attribute],
    });
  if (requested === undefined) return own[0];
  if (!own.includes(requested))
    throw new AuthError('insufficient_permission', `Only your own ${attribute} is allowed`, {
      missing: [`${attribute}:${requested}`],
    });
  return requested;
}
