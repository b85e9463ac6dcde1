import type { ProfileDefinition } from './profile.js';
import { trimSlash } from './profile.js';

/**
 * Authentik: roles and permissions together in one flat `groups` claim, `aud` = the requesting
 * client's id, no `typ` claim; access tokens are the ID token's claims plus `azp` and `uid`
 * (authentik providers/oauth2/id_token.py, `to_access_token`). Issuer and JWKS per application
 * (`/application/o/<slug>/`), the other endpoints shared under `/application/o/`.
 */
export const authentik: ProfileDefinition = Object.freeze({
  name: 'authentik',
  title: 'Authentik',
  rolesPath: Object.freeze(['groups']),
  permissionsPath: () => Object.freeze(['groups']),
  audienceIsClientId: true,
  typClaimMarksAccessTokens: false,
  accessTokenMarkers: Object.freeze(['azp', 'uid']),
  // token.py `create_code_response` puts the code's nonce on the access token's IDToken, which
  // `to_access_token` signs whole (authentik 2025.x).
  nonceInAccessTokens: true,
  // introspection.py: `response["client_id"] = self.params.provider.client_id`, the caller's.
  introspectionNamesCaller: true,
  lightweightAccessTokens: false,
  // authentik providers/oauth2/views/introspection.py: no authenticated provider → active: false.
  introspectionHidesRefusedClient: true,
  fixedEndpoints: true,
  keycloakAdminApi: false,
  // A per-application issuer; the global issuer mode has another path, which no profile claims.
  issuerPath: /^\/application\/o\/[^/]+\/$/,
  usersConsole: 'Directory → Users',
  endpoints(issuerPath: string) {
    const base = trimSlash(issuerPath);
    const shared = base.slice(0, base.lastIndexOf('/'));
    return {
      discovery: `${base}/.well-known/openid-configuration`,
      authorization: `${shared}/authorize/`,
      token: `${shared}/token/`,
      userinfo: `${shared}/userinfo/`,
      jwks: `${base}/jwks/`,
      endSession: `${base}/end-session/`,
      introspection: `${shared}/introspect/`,
      revocation: `${shared}/revoke/`,
      deviceAuthorization: `${shared}/device/`,
    };
  },
});
