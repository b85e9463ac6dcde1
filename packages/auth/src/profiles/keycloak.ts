import type { ProfileDefinition } from './profile.js';
import { trimSlash } from './profile.js';

/**
 * Keycloak: roles in `realm_access.roles`, permissions as the API client's roles in
 * `resource_access.<client>.roles`, a `typ` claim on every token, lightweight access tokens,
 * everything below `/realms/<realm>` and the OIDC endpoints below `/protocol/openid-connect/`
 * (Keycloak's documented endpoint layout).
 */
export const keycloak: ProfileDefinition = Object.freeze({
  name: 'keycloak',
  title: 'Keycloak',
  rolesPath: Object.freeze(['realm_access', 'roles']),
  // Built as segments, not a dot path, so a client id containing a dot still works.
  permissionsPath: (client: string) => Object.freeze(['resource_access', client, 'roles']),
  audienceIsClientId: false,
  typClaimMarksAccessTokens: true,
  lightweightAccessTokens: true,
  introspectionHidesRefusedClient: false,
  nonceInAccessTokens: false,
  introspectionNamesCaller: false,
  fixedEndpoints: true,
  keycloakAdminApi: true,
  // `<server>/realms/<realm>` (before Keycloak 17, `<server>/auth/realms/<realm>`).
  issuerPath: /\/realms\/[^/]+$/,
  usersConsole: 'Users',
  endpoints(issuerPath: string) {
    const base = trimSlash(issuerPath);
    const oidc = `${base}/protocol/openid-connect`;
    return {
      discovery: `${base}/.well-known/openid-configuration`,
      authorization: `${oidc}/auth`,
      token: `${oidc}/token`,
      userinfo: `${oidc}/userinfo`,
      jwks: `${oidc}/certs`,
      endSession: `${oidc}/logout`,
      introspection: `${oidc}/token/introspect`,
      revocation: `${oidc}/revoke`,
      deviceAuthorization: `${oidc}/auth/device`,
    };
  },
});
