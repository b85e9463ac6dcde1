import { toList, toScopes } from '../claims/read.js';
import type { ResolvedIssuer } from '../config.js';
import type { Principal } from '../principal.js';
import { PROFILE_NAMES, PROFILES } from '../profiles/index.js';
import { isLightweight, lightweightFinding } from './token-findings.js';
import type { Finding, SettingName } from './types.js';

/**
 * The finding for a token that is valid but lacks permissions the API's routes need (the API
 * answers 403 insufficient_scope), naming the claim the issuer's profile reads them from.
 */
export function rolesFinding(
  issuer: ResolvedIssuer,
  principal: Principal,
  missing: readonly string[],
  name: SettingName,
): Finding {
  if (isLightweight(issuer, principal.claims))
    return lightweightFinding(issuer.issuer, 'insufficient_permission', name);
  const permissionsClaim = name('permissionsClaim', 'OIDC_PERMISSIONS_CLAIM');
  const rolesClaim = name('rolesClaim', 'OIDC_ROLES_CLAIM');
  const path = issuer.permissionsPath.join('.');
  const clientId = issuer.permissionsPath[1];
  const client = clientId ?? 'the API client';
  const carried = claimCarrying(principal.claims, missing);
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
      keycloak: `Give the user the realm role "user" (a composite of ${client}'s ${missing.join(', ')}); make sure the client has the "roles" client scope as a Default scope (Clients → <client> → Client scopes → Add client scope → roles → Default) with its "client roles" mapper's "Add to access token" On, and, when "Full scope allowed" is Off, add ${clientId === undefined ? "the API client's" : `the ${clientId}`} roles to the client's dedicated scope.`,
      authentik: `Put the user in the groups ${missing.join(', ')} (or "user"), and add the scope mapping that emits "groups" (authentik default OAuth Mapping: OpenID 'profile') to the provider; request scope "profile".`,
      config:
        carried === undefined
          ? `If your provider puts them in another claim, point ${permissionsClaim} (now ${path}) and ${rolesClaim} (now ${issuer.rolesPath.join('.')}) at it.`
          : `The token carries ${missing.join(', ')} in ${carried}, where the API does not look: set ${permissionsClaim}=${carried} and ${rolesClaim}=${carried}${profileReading(issuer, carried, name)}.`,
    },
  };
}

/**
 * The dot path of a claim of the token that holds every missing permission (an array of
 * strings, or a separated string, as the API reads them), when the configured
 * paths miss it: the usual cause is a path copied from another provider (Keycloak's
 * `resource_access.<client>.roles` for Authentik's flat `groups`). Names with a dot cannot be
 * written as a path and are skipped.
 */
function claimCarrying(
  claims: Readonly<Record<string, unknown>>,
  missing: readonly string[],
): string | undefined {
  const walk = (value: unknown, path: string[], depth: number): string | undefined => {
    // As the API reads them: `scope` delimited by spaces only (RFC 6749 §3.3, `toScopes`), any
    // other claim by spaces or commas (`toList`).
    const values = Array.isArray(value)
      ? value
      : typeof value === 'string'
        ? path.length === 1 && path[0] === 'scope'
          ? toScopes(value)
          : toList(value)
        : undefined;
    if (values !== undefined)
      return missing.every((m) => values.includes(m)) ? path.join('.') : undefined;
    if (value === null || typeof value !== 'object' || depth === 4) return undefined;
    for (const [name, inner] of Object.entries(value)) {
      if (name.includes('.') || name === '') continue;
      const found = walk(inner, [...path, name], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return missing.length === 0 ? undefined : walk(claims, [], 0);
}

/** Another provider profile whose defaults read roles and permissions from `path`, as a hint. */
function profileReading(issuer: ResolvedIssuer, path: string, name: SettingName): string {
  const client = issuer.audiences[0] ?? '';
  const other = PROFILE_NAMES.filter((name) => name !== issuer.profile).find(
    (name) =>
      PROFILES[name].rolesPath.join('.') === path &&
      PROFILES[name].permissionsPath(client).join('.') === path,
  );
  return other === undefined
    ? ''
    : ` (or, for ${PROFILES[other].title}, ${name('provider', 'OIDC_PROVIDER')}=${other}, which reads both from ${path})`;
}
