import { cachedPrincipal } from './authentication/cached-token.js';
import {
  type AuthenticateOptions,
  createAuthContext,
  hasIntrospectionCredentials,
  type IssuerEntry,
} from './authentication/context.js';
import { resolveDpop } from './authentication/dpop-modes.js';
import { authenticate, authenticateNow, introspect } from './authentication/new-token.js';
import { tokenKey } from './cache/lru.js';
import { checkSender, type DpopMode, type ProofRequest, type Sender } from './dpop/sender.js';
import { verifyLogoutToken } from './logout/verify-logout-token.js';
import type { AuthenticatorOptions, IssuerStatus } from './options.js';
import type { LogoutTokenClaims, Principal } from './principal.js';

export type { AuthenticateOptions } from './authentication/context.js';

/** Verifies bearer tokens against the trusted issuers. Create one per process and reuse it. */
export interface Authenticator {
  /** Verifies an access token and maps it to a {@link Principal}; throws {@link AuthError}. */
  authenticate(token: string | undefined, options?: AuthenticateOptions): Promise<Principal>;
  /**
   * The cache-hit half of {@link authenticate}, synchronous: the principal of a token verified
   * before (still revocation- and audience-checked, exactly as `authenticate` checks a hit), or
   * `undefined` when the token must go through `authenticate`. Throws {@link AuthError}. Lets a
   * caller answer a warm request without a promise. `key`: the token's cache key
   * (`tokenKey(token)`) when the caller kept it from an earlier read of the same token string.
   * It is trusted, not checked against `token`: pass only a key computed from this very string,
   * or none.
   */
  cached?(token: string, options?: AuthenticateOptions, key?: string): Principal | undefined;
  /**
   * {@link authenticate} without a promise when nothing has to wait: the principal itself for a
   * cache hit or a JWT verified under a fresh key by the `node` verifier, a promise otherwise
   * (a key to fetch, introspection, the `jose` verifier). A refusal found synchronously is
   * thrown; every failure is counted as by `authenticate`. Lets a caller answer a request with
   * a new token without a promise. `key`: as for {@link cached}, trusted, not checked.
   */
  authenticateNow?(
    token: string,
    options?: AuthenticateOptions,
    key?: string,
  ): Principal | Promise<Principal>;
  /**
   * RFC 7662 live check (cached for seconds), for routes that must see revocations at once.
   * A JWT goes to its own issuer; an opaque token only to the single introspecting issuer.
   * An issuer without introspection credentials answers `idp_unavailable` (503).
   */
  introspect(token: string, options?: AuthenticateOptions): Promise<Principal>;
  /** True when at least one issuer has the client credentials that introspection needs. */
  canIntrospect(): boolean;
  /** OIDC Back-Channel Logout 1.0 §2.6 validation; throws `logout_token_invalid`. */
  verifyLogoutToken(token: string, audiences: readonly string[]): Promise<LogoutTokenClaims>;
  /** Per-issuer key and outage status, for `/readyz`. */
  status(): readonly IssuerStatus[];
  /** Loads discovery (and JWKS for jwt issuers) for every issuer; true when all are usable. */
  ready(): Promise<boolean>;
  /**
   * Checks how a verified token was presented (RFC 9449 §7): a DPoP-bound token with its proof,
   * the `DPoP` scheme only with a bound token of an issuer that accepts DPoP. Throws
   * {@link AuthError}; resolves to the proof key's thumbprint for a DPoP request. `principal`
   * is what {@link Authenticator.authenticate} returned for `request.token`.
   */
  checkSender(principal: Principal, request: ProofRequest): Promise<{ jkt: string } | undefined>;
  /**
   * {@link checkSender} without a promise when none is needed: the proof's checks are
   * synchronous, and so is its replay record when the store answers synchronously (in-process);
   * with an asynchronous store (shared by several instances) the result is a promise. A
   * refusal is thrown. Lets a caller answer a warm DPoP request without a promise.
   */
  checkSenderNow?(principal: Principal, request: ProofRequest): Sender | Promise<Sender>;
  /** An issuer's DPoP mode (`off` for an unknown issuer). */
  dpopMode(issuer: string): DpopMode;
  /** Proof algorithms accepted, when at least one issuer accepts DPoP (for challenges, §7.1). */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** Drops caches. */
  close(): void;
}

/**
 * One issuer's status: its keys' (or metadata's), and whether the provider refuses the API's
 * introspection client. An introspecting issuer whose client is refused verifies nothing.
 */
function issuerStatus(entry: IssuerEntry): IssuerStatus {
  const status = withIntrospectionOutage(entry.keys.status(), entry);
  const refusedSince = entry.client.refusedSince();
  if (refusedSince === undefined) return status;
  return {
    ...status,
    clientRefusedSince: refusedSince,
    usable: status.usable && entry.issuer.verify !== 'introspect',
  };
}

/**
 * An introspecting issuer whose introspection endpoint gives no answer (while its metadata is
 * still cached) is in an outage too: `outageSince` says since when, as for keys that cannot be
 * fetched, so readiness calls it degraded while cached answers serve (RFC 7662 §4 lets a
 * resource server cache them) instead of calling it fine.
 */
function withIntrospectionOutage(status: IssuerStatus, entry: IssuerEntry): IssuerStatus {
  const since = entry.issuer.verify === 'introspect' ? entry.client.unreachableSince() : undefined;
  if (since === undefined) return status;
  return { ...status, outageSince: Math.min(status.outageSince ?? since, since) };
}

/**
 * Creates an {@link Authenticator}. Options are validated here: a misconfiguration is a
 * `TypeError` at start-up, never a 4xx at run time.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({
 *   issuers: [{ issuer: 'http://localhost:8080/realms/todo-app', audience: 'todo-api', profile: 'keycloak' }],
 * });
 * const principal = await auth.authenticate(bearerToken);
 * ```
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  if (!Array.isArray(options.issuers) || options.issuers.length === 0)
    throw new TypeError('createAuthenticator needs at least one issuer');
  const ctx = createAuthContext(options);
  const dpop = resolveDpop(ctx);
  const { issuers, now, verifier, verified, tokenHashes } = ctx;
  const senderOf = (principal: Principal, request: ProofRequest) => {
    const accepts = dpop.modes.get(principal.issuer) !== 'off';
    const tokenHash = tokenHashes.get(principal) ?? tokenKey(request.token);
    return checkSender(principal, request, accepts ? dpop.verifier : undefined, tokenHash);
  };

  return {
    cached: (token, options, key) => cachedPrincipal(ctx, token, options, key),

    authenticate: (token, options) => authenticate(ctx, token, options),

    authenticateNow: (token, options, key) => authenticateNow(ctx, token, options, key),

    introspect: (token, options) => introspect(ctx, token, options),

    canIntrospect: () => [...issuers.values()].some(hasIntrospectionCredentials),

    verifyLogoutToken: (token, audiences) => {
      if (!Array.isArray(audiences) || audiences.length === 0)
        throw new TypeError('verifyLogoutToken needs the accepted audiences (client ids)');
      return verifyLogoutToken(
        { issuers, nowSec: () => Math.floor(now() / 1000), verifier },
        token,
        audiences,
      );
    },

    checkSender: async (principal, request) => senderOf(principal, request),

    checkSenderNow: senderOf,

    dpopMode: (issuer) => dpop.modes.get(issuer) ?? 'off',

    dpopAlgorithms: dpop.algorithms,

    status: () => Object.freeze([...issuers.values()].map((e) => Object.freeze(issuerStatus(e)))),

    ready: async () => {
      const results = await Promise.all(
        [...issuers.values()].map(async (e) => {
          const loaded = await e.keys.ensureLoaded();
          if (!loaded || e.issuer.verify !== 'introspect') return loaded;
          await e.client.recheck(e.keys);
          return e.client.refusedSince() === undefined;
        }),
      );
      return results.every(Boolean);
    },

    close: () => {
      verified.clear();
      ctx.introspection.cache.clear();
    },
  };
}
