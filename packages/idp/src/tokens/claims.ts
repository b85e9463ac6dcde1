import type { RealmClient, RealmUser } from '../realm/types.js';

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
