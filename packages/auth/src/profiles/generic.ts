import type { ProfileDefinition } from './profile.js';
import { trimSlash } from './profile.js';

/**
 * Any other OpenID Connect provider: `roles` and `permissions` claims (set the paths to fit),
 * RFC 9068 access tokens, endpoints found through discovery (OpenID Connect Discovery 1.0 §4);
 * the layout below is only a convention for providers and test issuers without discovery.
 */
export const generic: ProfileDefinition = Object.freeze({
  name: 'generic',
  title: 'the OpenID Connect provider',
  rolesPath: Object.freeze(['roles']),
  permissionsPath: () => Object.freeze(['permissions']),
  audienceIsClientId: false,
  typClaimMarksAccessTokens: false,
  lightweightAccessTokens: false,
  introspectionHidesRefusedClient: false,
  nonceInAccessTokens: false,
  introspectionNamesCaller: false,
  fixedEndpoints: false,
  keycloakAdminApi: false,
  endpoints(issuerPath: string) {
    const base = trimSlash(issuerPath);
    return {
      discovery: `${base}/.well-known/openid-configuration`,
      authorization: `${base}/authorize`,
      token: `${base}/token`,
      userinfo: `${base}/userinfo`,
      jwks: `${base}/jwks`,
      endSession: `${base}/logout`,
      introspection: `${base}/introspect`,
      revocation: `${base}/revoke`,
      deviceAuthorization: `${base}/device`,
    };
  },
});
