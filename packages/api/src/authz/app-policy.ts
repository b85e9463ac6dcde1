import {
  type Decision,
  decide,
  denialError,
  type Principal,
  type Requirement,
  type Resource,
} from '@todo-sso/auth';
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

/**
 * The authorization core's decision for one action on one resource: the table's requirement
 * (permission and relations) against the caller and their relation to the resource, decided by
 * `decide` from `@todo-sso/auth`, the same function behind every route requirement.
 */
export function decideAccess(
  principal: Principal,
  type: string,
  action: string,
  id: string,
  relation: Relation | undefined,
  options: { checkPermission?: boolean } = {},
): Decision {
  const rule = appRule(type, action);
  // An action the table does not name needs a relation nobody holds: always refused.
  const requirement: Requirement = rule
    ? {
        relation: rule.relations,
        ...(options.checkPermission !== false && { permission: rule.permission }),
      }
    : { relation: ['unknown-action'] };
  const resource: Resource = { type, id, relations: relation ? [relation] : [] };
  return decide(principal, requirement, resource, { now: Math.floor(Date.now() / 1000) });
}

/**
 * Enforces an action on a list or todo for the caller of a route: a resource the caller
 * cannot read answers 404, exactly like a missing one (no existence leak); one they can read
 * but not act on answers 403.
 */
export function requireRelation(
  principal: Principal,
  type: AppResourceType,
  action: AppAction,
  id: string,
  relation: Relation | undefined,
): void {
  const decision = decideAccess(principal, type, action, id, relation);
  if (decision.allowed) return;
  if (
    !decideAccess(principal, type, 'can_read', id, relation, { checkPermission: false }).allowed
  ) {
    throw new ApiError('not_found', `No such ${type}`);
  }
  if (decision.reason === 'relation_missing') {
    throw new ApiError(
      'forbidden',
      `Your relation to this ${type} (${relation}) does not allow ${action}`,
    );
  }
  // A refusal of the token itself (a permission): the core's challenge, RFC 6750 §3.1.
  throw denialError(decision);
}

/**
 * A principal for a subject named in an AuthZEN request: its `sub` and issuer, and the
 * permissions and roles the request states (none known otherwise).
 */
export function subjectPrincipal(subject: {
  issuer: string;
  subject: string;
  permissions?: readonly string[] | undefined;
  roles?: readonly string[] | undefined;
}): Principal {
  const roles = subject.roles ?? [];
  return {
    issuer: subject.issuer,
    subject: subject.subject,
    roles,
    permissions: subject.permissions ?? [],
    scopes: [],
    attributes: {},
    claims: {},
    expiresAt: 0,
    isAdmin: roles.includes('admin'),
  };
}

/**
 * The relationship check of one AuthZEN rule requirement, decided by the authorization core:
 * the relations always, the permission only when the request states the subject's
 * permissions (admins bypass it).
 */
export function relationOutcome(check: {
  readonly issuer: string;
  readonly subject: string;
  readonly permissions: readonly string[] | undefined;
  readonly isAdmin: boolean;
  readonly requirement: { readonly permission?: string; readonly relation?: readonly string[] };
  readonly relation: Relation | undefined;
  readonly resource: { readonly type: string; readonly id: string };
}): { allowed: boolean; reason: string } {
  const principal = subjectPrincipal({
    issuer: check.issuer,
    subject: check.subject,
    permissions: check.permissions,
    roles: check.isAdmin ? ['admin'] : [],
  });
  const { permission, relation } = check.requirement;
  const requirement: Requirement = {
    ...(relation !== undefined && { relation }),
    ...(permission !== undefined && check.permissions !== undefined && { permission }),
  };
  const resource: Resource = {
    ...check.resource,
    relations: check.relation ? [check.relation] : [],
  };
  const decision = decide(principal, requirement, resource, {
    now: Math.floor(Date.now() / 1000),
  });
  return { allowed: decision.allowed, reason: decision.reason };
}
