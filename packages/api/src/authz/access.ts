import type { Principal } from '@todo-sso/auth';
import type { Relation } from '../db/schema.js';
import { ApiError } from '../http/problem.js';
import {
  APP_POLICY,
  type AppAction,
  type AppResourceType,
  type ListAction,
  listActions,
  requireRelation,
} from './app-policy.js';
import { type RemotePdp, remotePdp } from './remote-pdp.js';

/** Where the API's list and todo access checks are decided. */
export interface AccessOptions {
  /** An external AuthZEN decision point (`AUTHZ_PDP_URL`, `AUTHZ_PDP_TOKEN`); else local. */
  readonly pdp?: { readonly url: string; readonly token?: string | undefined } | undefined;
  readonly fetch?: typeof fetch;
}

/**
 * The access check of the list and todo routes: the relation table with the caller's relation
 * from the database, or, with `AUTHZ_PDP_URL`, the external decision point's answer. Either way
 * an unreadable resource is 404 and a readable but refused one 403. Listing stays enforced in
 * the query (the memberships join) in both modes.
 */
export function accessGuard(options: AccessOptions) {
  const pdp: RemotePdp | undefined = options.pdp
    ? remotePdp({
        url: options.pdp.url,
        token: options.pdp.token,
        ...(options.fetch && { fetch: options.fetch }),
      })
    : undefined;
  return {
    /** Whether an external decision point decides (routes then ask before every write). */
    remote: pdp !== undefined,

    /**
     * Throws 404 or 403 unless `principal` may take `action` on the resource. `relation` is the
     * caller's relation from the database, which the local table decides on; the external
     * decision point gets the question instead.
     */
    async require(
      principal: Principal,
      type: AppResourceType,
      action: AppAction,
      id: string,
      relation: Relation | undefined,
    ): Promise<void> {
      if (!pdp) return requireRelation(principal, type, action, id, relation);
      const answer = await pdp.decide({
        ...subjectOf(principal),
        type,
        id,
        action,
        relation,
      });
      if (answer === 'hidden') {
        throw new ApiError('not_found', `No such ${type}`, {
          denial: `relation_missing: the decision point refuses ${action} on this ${type}`,
        });
      }
      if (answer === 'forbidden') {
        throw new ApiError('forbidden', `The decision point refuses ${action} on this ${type}`);
      }
    },

    /**
     * The actions the caller may take on each list, for a screen: one batch decision, by the
     * core (`decideAll`) or, with `AUTHZ_PDP_URL`, by one access evaluations request.
     */
    async listActions(
      principal: Principal,
      lists: readonly { id: string; relation: Relation | undefined }[],
    ): Promise<ListAction[][]> {
      if (!pdp) return listActions(principal, lists);
      const actions = Object.keys(APP_POLICY.list) as ListAction[];
      const items = lists.flatMap((list) =>
        actions.map((action) => ({
          type: 'list' as const,
          id: list.id,
          action,
          relation: list.relation,
        })),
      );
      const decisions = await pdp.decideAll(subjectOf(principal), items);
      return lists.map((_, i) => actions.filter((_, j) => decisions[i * actions.length + j]));
    },
  };
}

/**
 * The caller as the external decision point's subject. In the decision API's vocabulary the role
 * `admin` marks an administrator (the permission column then does not apply), so it is sent for
 * those holding `OIDC_ADMIN_ROLE` and only for them: a role of the provider's that merely has
 * that name is left out.
 */
function subjectOf(principal: Principal) {
  const roles = principal.roles.filter((role) => role !== ADMIN);
  return {
    issuer: principal.issuer,
    subject: principal.subject,
    permissions: principal.permissions,
    roles: principal.isAdmin ? [...roles, ADMIN] : roles,
  };
}

/** The administrator's role in the decision API's subject properties. */
const ADMIN = 'admin';

export type AccessGuard = ReturnType<typeof accessGuard>;
