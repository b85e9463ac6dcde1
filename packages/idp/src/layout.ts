import type { ProfileDefinition } from '@todo-sso/auth';

/**
 * The URL layout of one profile. oidc-provider is mounted at `mountPath`; `routes` are relative
 * to it; `aliases` map extra public paths (relative to the server root) to provider paths.
 */
export interface Layout {
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
export function providerRoutes(
  definition: ProfileDefinition,
  issuerPath: string,
  mountPath: string,
): Omit<Layout['routes'], 'code_verification' | 'registration'> {
  const e = definition.endpoints(issuerPath);
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
