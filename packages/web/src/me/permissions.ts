import type { Me } from '../api/types.js';

/**
 * Role gating as data, mirroring the API's policy: permissions are `resource:action` client
 * roles of `todo-api`, and the `admin` realm role passes every check. The API stays the
 * authority (it answers 403); the UI only avoids offering what would be refused.
 */

/** One permission of the API, generated from the enum `/me` publishes in its OpenAPI document. */
export type Permission = Me['permissions'][number];

export const ADMIN_ROLE = 'admin';

export interface Grants {
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  /** The API's own verdict (`OIDC_ADMIN_ROLE` may rename the role); wins when present. */
  readonly isAdmin?: boolean;
}

/** Is the caller an administrator? */
export function isAdmin(grants: Grants | undefined): boolean {
  if (!grants) return false;
  return grants.isAdmin ?? grants.roles.includes(ADMIN_ROLE);
}

/**
 * May the caller do `permission`?
 *
 * @example can(me, 'reports:generate') // true for carol and admin, false for alice
 */
export function can(grants: Grants | undefined, permission: Permission): boolean {
  if (!grants) return false;
  return isAdmin(grants) || grants.permissions.includes(permission);
}

/** The screens a person may open, in navigation order. */
export function visibleScreens(grants: Grants | undefined): Array<'todos' | 'reports' | 'admin'> {
  const screens: Array<'todos' | 'reports' | 'admin'> = ['todos'];
  if (can(grants, 'reports:generate')) screens.push('reports');
  if (can(grants, 'users:manage')) screens.push('admin');
  return screens;
}
