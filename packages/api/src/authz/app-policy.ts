import type { Relation } from '../db/schema.js';
import { ApiError } from '../http/problem.js';

/**
 * The app's own relationship policy, as data: for each resource type and action, the
 * permission the caller's token must carry (admins bypass it) and the relations to the list
 * that allow it. A todo's relation is its list's. The routes, the AuthZEN endpoints and an
 * external decision point all read this one table.
 */
export const APP_POLICY = {
  list: {
    can_read: { permission: 'todos:read', relations: ['owner', 'editor', 'viewer'] },
    can_update: { permission: 'todos:write', relations: ['owner'] },
    can_delete: { permission: 'todos:write', relations: ['owner'] },
    can_share: { permission: 'todos:write', relations: ['owner'] },
    can_create_todo: { permission: 'todos:write', relations: ['owner', 'editor'] },
  },
  todo: {
    can_read: { permission: 'todos:read', relations: ['owner', 'editor', 'viewer'] },
    can_update: { permission: 'todos:write', relations: ['owner', 'editor'] },
    can_delete: { permission: 'todos:write', relations: ['owner', 'editor'] },
  },
} as const satisfies Record<string, Record<string, AppRule>>;

/** One action on one resource type: what the token must carry, which relations allow it. */
export interface AppRule {
  readonly permission: string;
  readonly relations: readonly Relation[];
}

export type AppResourceType = keyof typeof APP_POLICY;
export type ListAction = keyof (typeof APP_POLICY)['list'];
export type TodoAction = keyof (typeof APP_POLICY)['todo'];
export type AppAction = ListAction | TodoAction;

/** The rule for an action on a resource type, or undefined when the policy has none. */
export function appRule(type: string, action: string): AppRule | undefined {
  const actions = (APP_POLICY as Record<string, Record<string, AppRule>>)[type];
  return actions && Object.hasOwn(actions, action) ? actions[action] : undefined;
}

/** Whether a relation to the resource's list allows the action (permissions checked apart). */
export function relationAllows(
  type: AppResourceType,
  action: AppAction,
  relation: Relation | undefined,
): boolean {
  const rule = appRule(type, action);
  return rule !== undefined && relation !== undefined && rule.relations.includes(relation);
}

/**
 * Enforces the relation part of a route's requirement: a resource the caller cannot read
 * answers 404, exactly like a missing one (no existence leak); one they can read but not act
 * on answers 403.
 */
export function requireRelation(
  type: AppResourceType,
  action: AppAction,
  relation: Relation | undefined,
): void {
  if (relationAllows(type, action, relation)) return;
  if (!relationAllows(type, 'can_read', relation)) {
    throw new ApiError(404, 'not_found', `No such ${type}`);
  }
  throw new ApiError(
    403,
    'forbidden',
    `Your relation to this ${type} (${relation}) does not allow ${action}`,
  );
}

/**
 * The relationship check of one requirement: the permission (when the subject's permissions
 * are known; admins bypass it) and one of the relations. Routes and the AuthZEN engine both
 * decide through it.
 */
export function relationOutcome(check: {
  readonly permissions: readonly string[] | undefined;
  readonly isAdmin: boolean;
  readonly requirement: { readonly permission?: string; readonly relation?: readonly string[] };
  readonly relation: Relation | undefined;
}): { allowed: boolean; reason: string } {
  const { permission, relation } = check.requirement;
  if (
    permission !== undefined &&
    check.permissions !== undefined &&
    !check.isAdmin &&
    !check.permissions.includes(permission)
  ) {
    return { allowed: false, reason: 'permission_missing' };
  }
  if (relation !== undefined && !(check.relation && relation.includes(check.relation))) {
    return { allowed: false, reason: 'relation_missing' };
  }
  return { allowed: true, reason: 'allowed' };
}
