import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProfileDefinition } from '@todo-sso/auth';
import type Provider from 'oidc-provider';
import type { Layout } from '../layout.js';
import type { RealmClient, RealmUser } from '../realm/types.js';
import type { AuthenticationFacts } from '../tokens/authentication.js';

/** Which server the development IdP imitates. */
export type Profile = 'keycloak' | 'authentik';

/**
 * Why the introspection endpoint does not serve a client (RFC 7662 §2.1): its authentication
 * failed (a wrong or missing secret, an unknown or malformed client id), or it authenticated but
 * may not introspect (a public client).
 */
export type IntrospectionRefusal = 'unauthenticated' | 'not-allowed';

/** What the introspection endpoint answers a client it does not serve. */
export interface RefusalAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** What a user's access token is minted from, beyond oidc-provider's own claims. */
export interface UserTokenInput {
  /** The profile and email claims and the client's mapped attributes, without `sub`. */
  base: Record<string, unknown>;
  user: RealmUser;
  client: RealmClient | undefined;
  sid: string | undefined;
}

/**
 * Everything the dev IdP does differently per imitated server, in one module per profile
 * (`keycloak.ts`, `authentik.ts`): chosen once by name at start-up (`idpProfile()`), read by the
 * provider configuration, the token minting and the dispatcher. What a resource server sees of
 * the provider (claim paths, audiences, token-type rules, endpoint layout) is the auth package's
 * profile, `definition`, which the layout is computed from.
 */
export interface IdpProfile {
  readonly name: Profile;
  /** The auth package's data for this provider: the verifier's and the API docs' view. */
  readonly definition: ProfileDefinition;
  /** The port the real server listens on by default (Keycloak 8080, Authentik 9000). */
  readonly defaultPort: number;
  /** The URL layout for a realm (Keycloak) or an application slug (Authentik). */
  layout(realm: string): Layout;
  /** The server speaks DPoP (RFC 9449) at its token endpoint and honours bound clients. */
  readonly dpop: boolean;
  /**
   * An access token from the authorization code grant carries the sign-in's `nonce`, as its ID
   * token does (Authentik); Keycloak 24+ writes it into the ID token only.
   */
  readonly nonceInAccessTokens: boolean;
  /**
   * An introspection answer names in `client_id` the client that asked (Authentik), not the one
   * the token was issued to, and has no `azp`; Keycloak names the token's client.
   */
  readonly introspectionNamesCaller: boolean;
  /** A service account's access token keeps its `client_id` claim. */
  readonly clientIdInServiceAccountTokens: boolean;
  /** A user's access-token claims: roles, `azp`, `sid` and the profile's markers. */
  userAccessTokenClaims(input: UserTokenInput): Record<string, unknown>;
  /** The claims a service account's access token adds to its `sub` and `preferred_username`. */
  serviceAccountClaims(clientId: string, account: RealmUser | undefined): Record<string, unknown>;
  /**
   * The `acr` values discovery lists (`acr_values_supported`): those the ID tokens can carry,
   * given the realm's `acr.loa.map` names.
   */
  acrValuesSupported(realmAcrNames: readonly string[]): readonly string[];
  /** How the user signed in (`acr`, `amr`, `auth_time`), as the server writes it. */
  authenticationClaims(facts: AuthenticationFacts & { authTime: number }): Record<string, unknown>;
  /**
   * The introspection endpoint's answer to a client it does not serve, as the real server words
   * it: an error status (Keycloak), or `200 {"active": false}` as for any unusable token
   * (Authentik), which a resource server cannot tell from a refused client.
   */
  introspectionRefusal(why: IntrospectionRefusal): RefusalAnswer;
  /** Claims the UserInfo response adds to the scope's standard claims. */
  userinfoClaims(user: RealmUser): Record<string, unknown>;
  /** Last changes to a signed JWT access token's payload. */
  finishAccessToken(payload: Record<string, unknown>): void;
  /** Changes to oidc-provider's models once the provider is built (ID tokens, refresh tokens). */
  extendProvider(provider: Provider, issuer: string): void;
  /**
   * Serves a request of the profile's own (mount-relative `rel`) before oidc-provider sees it;
   * true when it was answered.
   */
  serve(rel: string, req: IncomingMessage, res: ServerResponse): boolean;
}
