import type { ResourceServer } from 'oidc-provider';
import { DEFAULT_RESOURCE, OIDC_SCOPES } from '../constants.js';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm, RealmClient } from '../realm/types.js';

function audienceOf(profile: IdpProfile, client: RealmClient): string | string[] {
  // Authentik: aud is the requesting client's id. Keycloak: the audience mappers' values,
  // a string when one and an array when several (as Keycloak serializes it).
  if (profile.definition.audienceIsClientId || client.audiences.length === 0)
    return client.clientId;
  const auds = [...new Set(client.audiences)];
  return auds.length === 1 ? (auds[0] as string) : auds;
}

/** How an access token for a client (and a resource) is minted: JWT, RS256, its audience. */
export type ResourceServerInfo = (clientId: string, resource?: string) => ResourceServer;

/**
 * Every access token is a JWT signed RS256 with the realm's lifespan. Its audience: the resource
 * the client asked for (RFC 8707 §2: a token asked for a resource is for that resource alone),
 * else what the realm's audience mappers say (a registered client, which has none, gets its own
 * id).
 */
export function resourceServers(
  realm: Realm,
  profile: IdpProfile,
  accessTokenLifespan: number,
): ResourceServerInfo {
  return (clientId, resource = DEFAULT_RESOURCE) => {
    const realmClient = realm.clients.get(clientId);
    const audience =
      resource !== DEFAULT_RESOURCE
        ? resource
        : realmClient
          ? audienceOf(profile, realmClient)
          : clientId;
    return {
      scope: OIDC_SCOPES.join(' '),
      // A string or an array (oidc-provider's typing says string only).
      audience: audience as string,
      accessTokenTTL: accessTokenLifespan,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    };
  };
}
