/** Provider profile names: select claim-mapping defaults, token-type rules and endpoint layout. */
export type ProviderProfile = 'keycloak' | 'authentik' | 'generic';

/**
 * Where a provider serves its endpoints, as server-relative paths computed from the issuer's
 * path (`/realms/todo-app`, `/application/o/todo-app/`).
 */
export interface EndpointLayout {
  readonly discovery: string;
  readonly authorization: string;
  readonly token: string;
  readonly userinfo: string;
  readonly jwks: string;
  readonly endSession: string;
  readonly introspection: string;
  readonly revocation: string;
  readonly deviceAuthorization: string;
}

/**
 * Everything that differs between identity providers, as data: one module per provider
 * (`keycloak.ts`, `authentik.ts`, `generic.ts`), looked up by name with `providerProfile()`.
 */
export interface ProfileDefinition {
  readonly name: ProviderProfile;
  /** How people know the provider: `Keycloak`. */
  readonly title: string;
  /** Default path of the roles claim. */
  readonly rolesPath: readonly string[];
  /** Default path of the permissions claim; `client` is the API's client id (first audience). */
  permissionsPath(client: string): readonly string[];
  /**
   * The provider puts the requesting client's id in `aud` and cannot add another audience
   * (Authentik): an ID token then looks like an access token by its audience, and the API's
   * audiences are the client ids.
   */
  readonly audienceIsClientId: boolean;
  /**
   * The provider marks its tokens with a `typ` claim (Keycloak: `Bearer`/`DPoP` for access
   * tokens, `ID`, `Refresh`, `Logout` for others): any other `typ` claim is not an access token.
   */
  readonly typClaimMarksAccessTokens: boolean;
  /**
   * A JWT access token always carries one of these claims, which the provider's ID tokens
   * lack (Authentik: `azp`, `uid`); `undefined` when no such marker exists.
   */
  readonly accessTokenMarkers?: readonly string[];
  /**
   * The provider's access tokens from the authorization code grant carry the sign-in's `nonce`
   * (Authentik), so `nonce` does not mark an ID token there; `accessTokenMarkers` does.
   */
  readonly nonceInAccessTokens: boolean;
  /**
   * The introspection answer's `client_id` is the client that asked (the API itself), not the
   * one the token was issued to, and the answer has no `azp` (Authentik): the token's client is
   * its `aud` (see `audienceIsClientId`).
   */
  readonly introspectionNamesCaller: boolean;
  /**
   * The provider serves its endpoints at fixed paths (Keycloak, Authentik), so a client can be
   * configured without a discovery round-trip; otherwise only discovery finds them.
   */
  readonly fixedEndpoints: boolean;
  /**
   * The introspection endpoint answers a client it does not authenticate `200 {"active": false}`,
   * as for an unknown token (Authentik), instead of refusing it (RFC 7662 §2.1): a wrong client
   * secret then looks like every token inactive.
   */
  readonly introspectionHidesRefusedClient: boolean;
  /** The provider serves the Keycloak Admin REST API (`<server>/admin/realms/<realm>`). */
  readonly keycloakAdminApi: boolean;
  /**
   * The path only this provider's issuers have (Keycloak `…/realms/<realm>`, Authentik
   * `/application/o/<slug>/`), which tells an issuer configured with another profile; undefined
   * when any path goes (generic).
   */
  readonly issuerPath?: RegExp;
  /** Where people are managed in the provider's own console, when known. */
  readonly usersConsole?: string;
  /** The provider can issue "lightweight" access tokens without audience or roles (Keycloak). */
  readonly lightweightAccessTokens: boolean;
  /** Where the provider serves its endpoints, from the issuer's path. */
  endpoints(issuerPath: string): EndpointLayout;
}

/** The issuer path without its trailing slash. */
export function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
