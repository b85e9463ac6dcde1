import type { RealmClient, RealmUser } from '../realm/types.js';

/** Which server the development IdP imitates. */
export type Profile = 'keycloak' | 'authentik';

/** Where a claim set goes; mappers switch claims on per target, as in Keycloak. */
export type ClaimTarget = 'accessToken' | 'idToken' | 'userinfo' | 'introspection';

/** Standard profile and email claims (OpenID Connect Core §5.1), scope-filtered later. */
export function profileClaims(user: RealmUser): Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || undefined;
  return {
    sub: user.id,
    name,
    given_name: user.firstName,
    family_name: user.lastName,
    preferred_username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
  };
}

/** Claims added by the client's `oidc-usermodel-attribute-mapper`s for `target`. */
export function mappedAttributes(
  user: RealmUser,
  client: RealmClient | undefined,
  target: ClaimTarget,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const mapper of client?.attributeMappers ?? []) {
    if (!mapper[target]) continue;
    const values = user.attributes[mapper.userAttribute];
    if (!values || values.length === 0) continue;
    out[mapper.claimName] = mapper.multivalued ? values : values[0];
  }
  return out;
}

/**
 * Keycloak's role claims: `realm_access.roles` and `resource_access.<client>.roles`
 * (composites already expanded by the realm loader).
 */
export function keycloakRoleClaims(user: RealmUser): Record<string, unknown> {
  const resourceAccess = Object.fromEntries(
    Object.entries(user.clientRoles)
      .filter(([, roles]) => roles.length > 0)
      .map(([client, roles]) => [client, { roles: [...roles].sort() }]),
  );
  return {
    realm_access: { roles: [...user.realmRoles].sort() },
    ...(Object.keys(resourceAccess).length > 0 ? { resource_access: resourceAccess } : {}),
  };
}

/**
 * Authentik's `groups` claim: realm roles and client roles in one flat list,
 * realm roles first.
 */
export function authentikGroups(user: RealmUser): string[] {
  const clientRoles = Object.values(user.clientRoles).flat();
  return [...new Set([...user.realmRoles.sort(), ...clientRoles.sort()])];
}

/**
 * The extra claims of a user's access token, beyond what oidc-provider sets itself
 * (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `scope`, `client_id`).
 */
export function accessTokenClaims(
  profile: Profile,
  user: RealmUser,
  client: RealmClient | undefined,
  sid: string | undefined,
): Record<string, unknown> {
  const base = { ...profileClaims(user), ...mappedAttributes(user, client, 'accessToken') };
  delete base.sub;
  if (profile === 'authentik') {
    return { ...base, azp: client?.clientId, sid, groups: authentikGroups(user) };
  }
  return {
    typ: 'Bearer',
    azp: client?.clientId,
    sid,
    ...keycloakRoleClaims(user),
    ...base,
  };
}
