import {
  type Decision,
  decide,
  decideAll,
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

/** The core requirement of an action: the table's relations, and its permission unless not asked. */
export function requirementOf(
  type: string,
  action: string,
  options: { checkPermission?: boolean } = {},
): Requirement {
  const rule = appRule(type, action);
  // An action the table does not name needs a relation nobody holds: always refused.
  if (!rule) return { relation: ['unknown-action'] };
  return {
    relation: rule.relations,
    ...(options.checkPermission !== false && { permission: rule.permission }),
  };
}

/** A list or todo as the core sees it: the caller's relation to it (a todo's is its list's). */
export function resourceOf(type: string, id: string, relation: Relation | undefined): Resource {
  return { type, id, relations: relation ? [relation] : [] };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

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
  return decide(principal, requirementOf(type, action, options), resourceOf(type, id, relation), {
    now: nowSeconds(),
  });
}

/**
 * The core's decision as an HTTP answer for a route: a refusal the core marks `hidden` (the
 * caller is nothing to the resource) is 404 exactly like a missing one (no existence leak); a
 * missing relation is 403; a refusal of the token itself (a permission) is the core's
 * challenge, RFC 6750 §3.1.
 */
export function enforce(decision: Decision, type: string, action: string): void {
  if (decision.allowed) return;
  // Still a denial: audited with its reason (`ApiError.denial`), though the caller sees a 404.
  if (decision.hidden) {
    throw new ApiError('not_found', `No such ${type}`, {
      denial: `${decision.reason}: ${decision.description}`,
    });
  }
  if (decision.reason === 'relation_missing') {
    throw new ApiError(
      'forbidden',
      `Your relation to this ${type} does not allow ${action}: ${decision.description}`,
    );
  }
  throw denialError(decision);
}

/** Enforces an action on a list or todo for the caller of a route (see {@link enforce}). */
export function requireRelation(
  principal: Principal,
  type: AppResourceType,
  action: AppAction,
  id: string,
  relation: Relation | undefined,
): void {
  enforce(decideAccess(principal, type, action, id, relation), type, action);
}

/**
 * Every action of the table the caller may take on each of `lists`, in the table's order:
 * one batch decision of the core (`decideAll`) for the whole screen, never one per list.
 */
export function listActions(
  principal: Principal,
  lists: readonly { id: string; relation: Relation | undefined }[],
): ListAction[][] {
  const actions = Object.keys(APP_POLICY.list) as ListAction[];
  const questions = lists.flatMap((list) =>
    actions.map((action) => ({
      requirement: requirementOf('list', action),
      resource: resourceOf('list', list.id, list.relation),
    })),
  );
  const decisions = decideAll(principal, questions, { now: nowSeconds() });
  return lists.map((_, i) =>
    actions.filter((_, j) => decisions[i * actions.length + j]?.allowed === true),
  );
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
