import type { Profile } from './tokens/claims.js';

/**
 * The URL layout of one profile. oidc-provider is mounted at `mountPath`; `routes` are relative
 * to it; `aliases` map extra public paths (relative to the server root) to provider paths.
 */
export interface Layout {
  profile: Profile;
  /** Path of the issuer below the public base URL. */
  issuerPath: string;
  mountPath: string;
  routes: {
    authorization: string;
    token: string;
    userinfo: string;
    jwks: string;
    end_session: string;
    introspection: string;
    revocation: string;
    device_authorization: string;
    code_verification: string;
    /** RFC 7591 registration endpoint, where the profile offers one. */
    registration?: string;
  };
  /** Where the login page lives, relative to the mount path (`:uid` appended). */
  loginPath: string;
  /** Public discovery path (server-relative) → path the provider serves it at (mount-relative). */
  aliases: Record<string, string>;
}

/**
 * Keycloak: everything below `/realms/<realm>`, OIDC endpoints below
 * `/protocol/openid-connect/` (Keycloak's documented endpoint layout).
 */
export function keycloakLayout(realm: string): Layout {
  const oidc = '/protocol/openid-connect';
  return {
    profile: 'keycloak',
    issuerPath: `/realms/${realm}`,
    mountPath: `/realms/${realm}`,
    routes: {
      authorization: `${oidc}/auth`,
      token: `${oidc}/token`,
      userinfo: `${oidc}/userinfo`,
      jwks: `${oidc}/certs`,
      end_session: `${oidc}/logout`,
      introspection: `${oidc}/token/introspect`,
      revocation: `${oidc}/revoke`,
      device_authorization: `${oidc}/auth/device`,
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
 * Authentik: issuer and JWKS per application (`/application/o/<slug>/`), the other endpoints
 * shared by every application under `/application/o/` (Authentik's OAuth2 provider layout).
 */
export function authentikLayout(slug: string): Layout {
  return {
    profile: 'authentik',
    issuerPath: `/application/o/${slug}/`,
    mountPath: '/application/o',
    routes: {
      authorization: '/authorize/',
      token: '/token/',
      userinfo: '/userinfo/',
      jwks: `/${slug}/jwks/`,
      end_session: `/${slug}/end-session/`,
      introspection: '/introspect/',
      revocation: '/revoke/',
      device_authorization: '/device/',
      code_verification: `/${slug}/device-verify/`,
    },
    loginPath: `/${slug}/flow/`,
    aliases: {
      [`/application/o/${slug}/.well-known/openid-configuration`]:
        '/.well-known/openid-configuration',
    },
  };
}
