import type { Configuration } from 'oidc-provider';
import { serviceAccountId } from '../grants/service-account.js';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm, RealmUser } from '../realm/types.js';
import { authenticationFacts } from './authentication.js';
import { mappedAttributes, profileClaims } from './claims.js';

/** The user standing for a client's service account (`serviceAccountClientId` in the realm). */
function serviceAccountOf(realm: Realm, clientId: string): RealmUser | undefined {
  return [...realm.usersById.values()].find((u) => u.serviceAccountClientId === clientId);
}

/**
 * The claims of an access token beyond oidc-provider's own: for a service account its subject and
 * (Keycloak) its roles; for a user the profile's claims, roles, mapped attributes and how they
 * signed in (`acr`, `amr`, `auth_time`). Read from the realm at minting time, so a changed role
 * or a disabled user shows in the next token.
 */
export function extraTokenClaims(
  realm: Realm,
  profile: IdpProfile,
): NonNullable<Configuration['extraTokenClaims']> {
  return async (ctx, token) => {
    const client = realm.clients.get(token.clientId ?? '');
    if (token.kind === 'ClientCredentials') {
      const account = serviceAccountOf(realm, token.clientId as string);
      return {
        sub: account?.id ?? serviceAccountId(realm.name, token.clientId as string),
        preferred_username: `service-account-${token.clientId}`,
        ...profile.serviceAccountClaims(token.clientId as string, account),
      };
    }
    const user = token.accountId ? realm.usersById.get(token.accountId) : undefined;
    if (!user) return undefined;
    const sid = 'sid' in token ? (token.sid as string | undefined) : undefined;
    const sessionUid = 'sessionUid' in token ? (token.sessionUid as string | undefined) : undefined;
    const { authTime, ...facts } = await authenticationFacts(ctx, sessionUid);
    const base = { ...profileClaims(user), ...mappedAttributes(user, client, 'accessToken') };
    delete base.sub;
    const code = ctx.oidc?.entities.AuthorizationCode;
    const nonce = profile.nonceInAccessTokens && code?.nonce ? { nonce: code.nonce } : {};
    return {
      ...nonce,
      ...profile.userAccessTokenClaims({ base, user, client, sid }),
      // A registered client is no realm client: name it from the token.
      azp: token.clientId,
      ...(authTime === undefined ? {} : profile.authenticationClaims({ ...facts, authTime })),
      // Introspection shape (Keycloak adds `username`; removed from the JWT below).
      username: user.username,
    };
  };
}
