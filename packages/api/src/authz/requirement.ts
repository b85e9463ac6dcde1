import type { RouteAuthConfig } from '@todo-sso/auth/fastify';
import type { Permission } from './permissions.js';

/**
 * What one API route requires, declared beside the route: at most one permission of the
 * table (type-checked), or `admin`, plus any other requirement kind of the auth package
 * (authentication strength and age, sender constraint). `{}` means any valid token.
 */
export type RoutePolicy = Omit<RouteAuthConfig<Permission>, 'permission'> & {
  readonly permission?: Permission;
};

/**
 * The route `config` declaring a requirement, checked by the auth plugin at start-up and
 * decided on every request.
 *
 * @example
 * ```ts
 * app.get('/todos/', { config: requires({ permission: 'todos:read' }), schema }, handler);
 * ```
 */
export function requires(policy: RoutePolicy): { auth: RoutePolicy } {
  return { auth: policy };
}

/**
 * Admin work's requirement: `policy` plus the configured step-up (RFC 9470: STEP_UP_ACR within
 * STEP_UP_MAX_AGE_SECONDS, nothing more when step-up is off) and `firstParty` (the product's own
 * client, never an agent's token). Every route under `/admin/` declares it, which start-up
 * checks (`plugins/protected-routes.ts`).
 */
export function adminWork(
  stepUp: Pick<RoutePolicy, 'acr' | 'maxAge'>,
  policy: RoutePolicy,
): { auth: RoutePolicy } {
  return requires({ ...policy, ...stepUp, firstParty: true });
}
