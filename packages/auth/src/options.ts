import type { DpopMode } from './dpop/sender.js';
import type { DpopVerifierOptions } from './dpop/verify-proof.js';
import type { AuthErrorCode } from './errors.js';
import type { SignatureVerifier } from './jwks/verify-signature.js';
import type { Principal } from './principal.js';

import type { ProviderProfile } from './profiles/profile.js';

export type { ProviderProfile } from './profiles/profile.js';

/** One trusted issuer. */
export interface IssuerOptions {
  /** Expected `iss`, compared exactly (RFC 7519 §4.1.1, OIDC Discovery §4.3). */
  issuer: string;
  /**
   * Where to fetch metadata and keys when it differs from `issuer` (issuer aliasing), e.g.
   * `http://keycloak:8080` or `http://keycloak:8080/realms/todo-app` inside Docker while tokens
   * say `https://sso.example.com/realms/todo-app`. A full `…/.well-known/…` URL is used as is,
   * in the OpenID Connect form (`<issuer>/.well-known/openid-configuration`) or RFC 8414 §3.1's
   * (`<host>/.well-known/oauth-authorization-server/<issuer path>`); the issuer's path is read
   * around the well-known segment.
   */
  discoveryUrl?: string;
  /** Accepted audiences; a token must name at least one (RFC 7519 §4.1.3). */
  audience: string | readonly string[];
  /** Default `keycloak` ({@link DEFAULT_PROFILE}). */
  profile?: ProviderProfile;
  /** `jwt` (local verification, default) or `introspect` (RFC 7662 on every cache miss). */
  verify?: 'jwt' | 'introspect';
  /** Client credentials for introspection (RFC 7662 §2.1, sent as HTTP Basic). */
  clientId?: string;
  clientSecret?: string;
  /** Default RS256, PS256, ES256, EdDSA. `none` and HMAC algorithms are refused (RFC 8725 §3.1). */
  algorithms?: readonly string[];
  /** Leeway for `exp`, `nbf` and `iat`; default 30 seconds. */
  clockToleranceSec?: number;
  /** Dot path of the roles claim; default per profile (`realm_access.roles`, `groups`, `roles`). */
  rolesClaim?: string;
  /** Dot path of the permissions claim; default per profile. */
  permissionsClaim?: string;
  /** Keycloak: the `resource_access` client whose roles are permissions; default first audience. */
  permissionsClient?: string;
  /** Role that bypasses every permission check; default `admin`. */
  adminRole?: string;
  /** Claims copied into `principal.attributes` (for attribute scoping); default none. */
  attributeClaims?: readonly string[];
  /**
   * DPoP (RFC 9449) for this issuer's tokens: `off`, `allowed` (default; `off` when the
   * authenticator has no `dpop` options) or `required` (needs them).
   */
  dpop?: DpopMode;
  /**
   * Refuse a JWT access token whose header `typ` is not `at+jwt` (or `application/at+jwt`), as
   * RFC 9068 §4 has a resource server do for tokens of that profile; default `false`: `JWT` and
   * no `typ` are accepted too, as Keycloak (unless the client sets
   * `access.token.header.type.rfc9068`) and Authentik sign them. For `verify: 'jwt'` only: an
   * introspected token's header is not read.
   */
  requireAtJwtTyp?: boolean;
}

/** Synchronous revocation check, consulted on every success including cache hits. */
export interface RevocationChecker {
  isRevoked(principal: Principal): boolean;
}

/**
 * Why a JWKS fetch started: `startup` the first load (or a load before any ever succeeded),
 * `ttl` the keys' cache lifetime (`jwksTtlSec`) was over, `unknown_kid` a token named a key the
 * set does not hold (limited to one fruitless refetch per `jwksCooldownSec`).
 */
export type JwksFetchReason = 'startup' | 'ttl' | 'unknown_kid';

/** Metrics and logging hook payloads. Never contain a token. */
export type AuthEvent =
  | { type: 'authenticated'; issuer: string; cached: boolean; mode: 'jwt' | 'introspect' }
  | { type: 'auth_failed'; code: AuthErrorCode; issuer?: string; description: string }
  | { type: 'discovery_fetch'; issuer: string; ok: boolean; durationMs: number; error?: string }
  | {
      type: 'jwks_fetch';
      issuer: string;
      /** What started the fetch: see {@link JwksFetchReason}. */
      reason: JwksFetchReason;
      ok: boolean;
      durationMs: number;
      keys?: number;
      error?: string;
    }
  | { type: 'stale_keys_used'; issuer: string; outageSince: number }
  | {
      /**
       * A token whose claims pass named a key the held set lacks, that set may predate the
       * token, and no refetch may start before `retryAt` (ms; the refetch cooldown): such tokens
       * are answered 503 with `Retry-After` until then. Once per cooldown window at most: a
       * flood of made-up `kid`s, or a key rotated in during one.
       */
      type: 'unknown_kid_deferred';
      issuer: string;
      retryAt: number;
    }
  | {
      type: 'introspection';
      issuer: string;
      ok: boolean;
      active?: boolean;
      cached: boolean;
      durationMs: number;
      error?: string;
      /** The provider refused the API's own client credentials (RFC 6749 §5.2), not the token. */
      clientRefused?: true;
    };

/** Options of `createAuthenticator`. */
export interface AuthenticatorOptions {
  issuers: readonly IssuerOptions[];
  revocation?: RevocationChecker;
  /** Injectable `fetch` (tests); default the global one. */
  fetch?: typeof fetch;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Metrics hook: failures by code, JWKS fetches, cache hits, introspection calls. */
  onEvent?: (event: AuthEvent) => void;
  /** How long fetched keys are trusted before a refetch; default 300 s. */
  jwksTtlSec?: number;
  /** Minimum time between two JWKS fetches of one issuer (kid-flood protection); default 30 s. */
  jwksCooldownSec?: number;
  /** How long past their TTL the last good keys keep verifying while the IdP is down; default 600 s. */
  staleIfErrorSec?: number;
  cache?: {
    /** Verified-token LRU size; default 10 000. 0 disables the cache. */
    maxEntries?: number;
    /** Lifetime of a positive introspection answer; default 10 s (never beyond `exp`). */
    introspectionTtlSec?: number;
    /** Lifetime of an `active: false` answer; default 5 s. */
    negativeTtlSec?: number;
  };
  /** Timeout of every HTTP call to an IdP; default 5000 ms. */
  httpTimeoutMs?: number;
  /**
   * Signature primitive: `node` (default, `node:crypto.verify` on imported `KeyObject`s,
   * synchronous) or `jose` (jose's `compactVerify`, WebCrypto). Same checks either way.
   */
  signatureVerifier?: SignatureVerifier;
  /** DPoP proof checking (RFC 9449 §4.3): the replay cache, algorithms, nonces, proof age. */
  dpop?: Omit<DpopVerifierOptions, 'now'>;
}

/** Health of one issuer, for `/readyz` and dashboards. Times are epoch milliseconds. */
export interface IssuerStatus {
  issuer: string;
  verify: 'jwt' | 'introspect';
  /** Metadata (and, in jwt mode, keys) are loaded. */
  keysCached: boolean;
  keyCount: number;
  lastSuccessfulFetch?: number;
  /** Set while the IdP is unreachable; cached keys may still be serving (stale-if-error). */
  outageSince?: number;
  /** Cached keys are past their TTL and used only because the IdP is down. */
  stale: boolean;
  /**
   * Set while the introspection endpoint refuses the API's client credentials (RFC 7662 §2.1,
   * RFC 6749 §5.2), from the last introspection answer; an introspecting issuer is then not usable.
   */
  clientRefusedSince?: number;
  /** Cached keys (introspection: metadata and an accepted client) are usable right now. */
  usable: boolean;
  lastError?: string;
}
