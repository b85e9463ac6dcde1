import { decide } from '../authorization/decide.js';
import { authorize } from '../authorization/denial.js';
import type { Principal } from '../principal.js';

/** Permission and role checks need no clock: the decision never reads it for them. */
const TIMELESS = { now: 0 } as const;

/** A permission table: resource → actions (`as const`), as in better-auth's access control. */
export type PermissionStatements = Readonly<Record<string, readonly string[]>>;

/** The `resource:action` strings a table defines. */
export type PermissionOf<S extends PermissionStatements> = {
  [R in keyof S & string]: `${R}:${S[R][number]}`;
}[keyof S & string];

/** A permission table with its flattened list. */
export interface PermissionTable<S extends PermissionStatements> {
  readonly statements: S;
  /** Every `resource:action`, in table order. */
  readonly all: readonly PermissionOf<S>[];
  /** Whether a string names a permission of the table. */
  has(permission: string): permission is PermissionOf<S>;
}

/**
 * Defines permissions as data.
 *
 * @example
 * ```ts
 * const table = definePermissions({ todos: ['read', 'write'] } as const);
 * table.all; // ['todos:read', 'todos:write']
 * ```
 */
export function definePermissions<const S extends PermissionStatements>(
  statements: S,
): PermissionTable<S> {
  const all = Object.freeze(
    Object.entries(statements).flatMap(([resource, actions]) =>
      actions.map((a) => `${resource}:${a}`),
    ),
  ) as readonly PermissionOf<S>[];
  const set = new Set<string>(all);
  return Object.freeze({ statements, all, has: (p: string): p is PermissionOf<S> => set.has(p) });
}

/**
 * Whether the principal may do `permission` ({@link decide} with a permission requirement).
 * Pure; the admin role bypasses permission checks.
 *
 * @example
 * ```ts
 * if (can(request.principal, 'invoices:approve')) showApproveButton();
 * ```
 */
export function can(principal: Principal, permission: string): boolean {
  return decide(principal, { permission }, undefined, TIMELESS).allowed;
}

/** Permissions from the list the principal lacks (empty for admins). */
export function missingPermissions(principal: Principal, permissions: readonly string[]): string[] {
  return principal.isAdmin ? [] : permissions.filter((p) => !principal.permissions.includes(p));
}

/**
 * Throws `insufficient_permission` (403) naming every missing permission, not just the first.
 *
 * @example
 * ```ts
 * requirePermission(principal, 'todos:read', 'todos:write');
 * ```
 */
export function requirePermission(principal: Principal, ...permissions: readonly string[]): void {
  authorize(principal, { permission: permissions }, undefined, TIMELESS);
}

/** Whether the principal holds the role (admins hold every role). */
export function hasRole(principal: Principal, role: string): boolean {
  return decide(principal, { role }, undefined, TIMELESS).allowed;
}

/** Throws `insufficient_permission` (403) unless the principal holds the role; admins pass. */
export function requireRole(principal: Principal, role: string): void {
  authorize(principal, { role }, undefined, TIMELESS);
}
