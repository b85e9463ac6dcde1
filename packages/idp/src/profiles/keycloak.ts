import { providerProfile } from '@todo-sso/auth';
import { keycloakIdTokenClaims } from '../keycloak/compat.js';
import { keycloakIframes } from '../keycloak/iframes.js';
import { type Layout, providerRoutes } from '../layout.js';
import type { RealmUser } from '../realm/types.js';
import { reportRefreshExpiry } from '../sessions/lifespan.js';
import { wrapRefreshTokensAsJwt } from '../tokens/refresh-token-jwt.js';
import type { IdpProfile } from './profile.js';

const definition = providerProfile('keycloak');

/**
 * Keycloak: everything below `/realms/<realm>`, OIDC endpoints below
 * `/protocol/openid-connect/` (Keycloak's documented endpoint layout).
 */
export function keycloakLayout(realm: string): Layout {
  const issuerPath = `/realms/${realm}`;
  return {
    issuerPath,
    mountPath: issuerPath,
    routes: {
      ...providerRoutes(definition, issuerPath, issuerPath),
      code_verification: '/device',
      registration: '/clients-registrations/openid-connect',
    },
    loginPath: '/login-actions/authenticate/',
    // RFC 8414 metadata: at the path-inserted well-known URL (§3.1) and where Keycloak serves it.
    aliases: {
      [`/.well-known/oauth-authorization-server/realms/${realm}`]:
        '/.well-known/openid-configuration',
      [`/realms/${realm}/.well-known/oauth-authorization-server`]:
        '/.well-known/openid-configuration',
    },
  };
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
 * Keycloak marks a DPoP-bound access token with `typ: "DPoP"` (its `DPoPUtil` protocol mapper)
 * instead of `"Bearer"`, and answers introspection with the same `token_type`.
 */
export function keycloakTokenType(payload: Record<string, unknown>): void {
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  if (typeof cnf?.jkt === 'string' && payload.typ === 'Bearer') payload.typ = 'DPoP';
}

/**
 * Keycloak 26.4+: a `typ` claim on every token (`Bearer`, `DPoP`), `azp`, the role claims, a
 * JWT refresh token, DPoP at the token endpoint (RFC 9449 §5: it binds a token to the proof key
 * of every token request that carries a proof, whatever the grant), and the helper pages
 * keycloak-js loads.
 */
export const keycloak: IdpProfile = Object.freeze<IdpProfile>({
  name: 'keycloak',
  definition,
  defaultPort: 8080,
  layout: keycloakLayout,
  dpop: true,
  nonceInAccessTokens: false,
  introspectionNamesCaller: false,
  // Keycloak's service accounts carry the `client_id` claim of its "Client ID" mapper.
  clientIdInServiceAccountTokens: true,
  userAccessTokenClaims: ({ base, user, client, sid }) => ({
    typ: 'Bearer',
    azp: client?.clientId,
    sid,
    ...keycloakRoleClaims(user),
    ...base,
  }),
  serviceAccountClaims: (clientId, account) => ({
    typ: 'Bearer',
    azp: clientId,
    ...(account ? keycloakRoleClaims(account) : {}),
  }),
  // `acr` (the `acr.loa.map` name), `amr` (its AMR mapper's values, `pwd` and `otp`), `auth_time`.
  // The realm's level names, which its acr mapper writes.
  acrValuesSupported: (realmAcrNames) => realmAcrNames,
  authenticationClaims: ({ acr, amr = [], authTime }) => ({
    auth_time: authTime,
    ...(acr ? { acr } : {}),
    ...(amr.length > 0 ? { amr } : {}),
  }),
  // TokenIntrospectionEndpoint.authorizeClient (keycloak/keycloak main, 26.x): any failed client
  // authentication becomes 401 `invalid_request` "Authentication failed." (26.7 says
  // `invalid_client` instead, keycloak#48721), a public client 403 "Client not allowed.". A
  // confidential client needs no service account to introspect.
  introspectionRefusal: (why) =>
    why === 'unauthenticated'
      ? {
          status: 401,
          body: { error: 'invalid_request', error_description: 'Authentication failed.' },
        }
      : {
          status: 403,
          body: { error: 'invalid_request', error_description: 'Client not allowed.' },
        },
  userinfoClaims: () => ({}),
  finishAccessToken: keycloakTokenType,
  extendProvider(provider, issuer) {
    keycloakIdTokenClaims(provider);
    wrapRefreshTokensAsJwt(provider, issuer);
    reportRefreshExpiry(provider);
  },
  serve: keycloakIframes,
});
