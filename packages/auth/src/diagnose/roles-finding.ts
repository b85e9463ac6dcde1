import type { ResolvedIssuer } from '../config.js';
import type { Principal } from '../principal.js';
import { isLightweight, lightweightFinding } from './token-findings.js';
import type { Finding } from './types.js';

/**
 * The finding for a token that is valid but lacks permissions the API's routes need (the API
 * answers 403 insufficient_scope), naming the claim the issuer's profile reads them from.
 */
export function rolesFinding(
  issuer: ResolvedIssuer,
  principal: Principal,
  missing: readonly string[],
): Finding {
  if (isLightweight(issuer, principal.claims))
    return lightweightFinding(issuer.issuer, 'insufficient_permission');
  const path = issuer.permissionsPath.join('.');
  const client = issuer.permissionsPath[1] ?? 'the API client';
  return {
    code: 'roles_missing',
    check: 'token',
    issuer: issuer.issuer,
    apiCode: 'insufficient_permission',
    summary: `The token carries no ${missing.join(', ')} in ${path}${principal.roles.length === 0 ? ` and no roles in ${issuer.rolesPath.join('.')}` : ''}: the API answers 403 to every route that needs them.`,
    expected: `${path} containing ${missing.join(', ')}`,
    received:
      principal.permissions.length === 0 ? '(absent or empty)' : principal.permissions.join(', '),
    fix: {
      keycloak: `Give the user the realm role "user" (a composite of ${client}'s ${missing.join(', ')}); make sure the client has the "roles" client scope as a Default scope (Clients → <client> → Client scopes → Add client scope → roles → Default) with its "client roles" mapper's "Add to access token" On, and, when "Full scope allowed" is Off, add the ${client} roles to the client's dedicated scope.`,
      authentik: `Put the user in the groups ${missing.join(', ')} (or "user"), and add the scope mapping that emits "groups" (authentik default OAuth Mapping: OpenID 'profile') to the provider; request scope "profile".`,
      config: `Or point OIDC_PERMISSIONS_CLAIM / OIDC_ROLES_CLAIM at the claim your provider uses (now ${path}).`,
    },
  };
}
