import { providerProfile } from '@todo-sso/auth';
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
 * The provider's OIDC endpoints as the auth package's profile lays them out, relative to the
 * mount path: one layout for the dev IdP, the verifier's testing kit and the API's docs.
 */
function providerRoutes(
  profile: Profile,
  issuerPath: string,
  mountPath: string,
): Omit<Layout['routes'], 'code_verification' | 'registration'> {
  const e = providerProfile(profile).endpoints(issuerPath);
  const rel = (path: string) => path.slice(mountPath.length);
  return {
    authorization: rel(e.authorization),
    token: rel(e.token),
    userinfo: rel(e.userinfo),
    jwks: rel(e.jwks),
    end_session: rel(e.endSession),
    introspection: rel(e.introspection),
    revocation: rel(e.revocation),
    device_authorization: rel(e.deviceAuthorization),
  };
}

/**
 * Keycloak: everything below `/realms/<realm>`, OIDC endpoints below
 * `/protocol/openid-connect/` (Keycloak's documented endpoint layout).
 */
export function keycloakLayout(realm: string): Layout {
  const issuerPath = `/realms/${realm}`;
  return {
    profile: 'keycloak',
    issuerPath,
    mountPath: issuerPath,
    routes: {
      ...providerRoutes('keycloak', issuerPath, issuerPath),
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
  const issuerPath = `/application/o/${slug}/`;
  const mountPath = '/application/o';
  return {
    profile: 'authentik',
    issuerPath,
    mountPath,
    routes: {
      ...providerRoutes('authentik', issuerPath, mountPath),
      code_verification: `/${slug}/device-verify/`,
    },
    loginPath: `/${slug}/flow/`,
    aliases: {
      [`/application/o/${slug}/.well-known/openid-configuration`]:
        '/.well-known/openid-configuration',
    },
  };
}

/** The port each profile's provider listens on by default (Keycloak 8080, Authentik 9000). */
export const DEFAULT_PORTS: Readonly<Record<Profile, number>> = Object.freeze({
  keycloak: 8080,
  authentik: 9000,
});

/** Whether the dev IdP serves a profile of this name. */
export function isProfile(name: string): name is Profile {
  return Object.hasOwn(DEFAULT_PORTS, name);
}

/** The layout of each profile the dev IdP serves, by name. */
export const LAYOUTS: Readonly<Record<Profile, (realm: string) => Layout>> = Object.freeze({
  keycloak: keycloakLayout,
  authentik: authentikLayout,
});
