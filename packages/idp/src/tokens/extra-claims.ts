import type { Configuration } from 'oidc-provider';
import { serviceAccountId } from '../grants/service-account.js';
import type { Realm, RealmUser } from '../realm/types.js';
import { authenticationClaims, authenticationFacts } from './authentication.js';
import { accessTokenClaims, keycloakRoleClaims, type Profile } from './claims.js';

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
  profile: Profile,
): NonNullable<Configuration['extraTokenClaims']> {
  return async (ctx, token) => {
    const client = realm.clients.get(token.clientId ?? '');
    if (token.kind === 'ClientCredentials') {
      const account = serviceAccountOf(realm, token.clientId as string);
      return {
        sub: account?.id ?? serviceAccountId(realm.name, token.clientId as string),
        preferred_username: `service-account-${token.clientId}`,
        ...(profile === 'keycloak'
          ? { typ: 'Bearer', azp: token.clientId, ...(account ? keycloakRoleClaims(account) : {}) }
          : {}),
      };
    }
    const user = token.accountId ? realm.usersById.get(token.accountId) : undefined;
    if (!user) return undefined;
    const sid = 'sid' in token ? (token.sid as string | undefined) : undefined;
    const sessionUid = 'sessionUid' in token ? (token.sessionUid as string | undefined) : undefined;
    const facts = await authenticationFacts(ctx, sessionUid);
    return {
      ...accessTokenClaims(profile, user, client, sid),
      // A registered client is no realm client: name it from the token.
      azp: token.clientId,
      ...authenticationClaims(profile, realm, facts),
      // Introspection shape (Keycloak adds `username`; removed from the JWT below).
      username: user.username,
    };
  };
}
