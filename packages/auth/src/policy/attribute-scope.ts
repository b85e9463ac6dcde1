import { decide } from '../authorization/decide.js';
import { authorize } from '../authorization/denial.js';
import { attributeValues, type Principal } from '../principal.js';

/** Attribute scoping needs no clock: the decision never reads it for it. */
const TIMELESS = { now: 0 } as const;

/** Whether the principal may act on data whose `attribute` is `value`: admins always, others only for their own. */
export function canAccessAttribute(
  principal: Principal,
  attribute: string,
  value: string,
): boolean {
  const resource = { attributes: { [attribute]: value } };
  return decide(principal, { attribute }, resource, TIMELESS).allowed;
}

/**
 * Resolves which attribute value a request may use ("non-admins only for their own
 * department"). Admins get what they asked for (`undefined` = all); others get their own value
 * when they ask for nothing or for their own, and a 403 otherwise ({@link decide} with an
 * attribute requirement).
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
  const value = requested ?? attributeValues(principal, attribute)[0];
  authorize(principal, { attribute }, { attributes: { [attribute]: value } }, TIMELESS);
  return value;
}
