import { ExpiringLru, tokenKey } from './cache/lru.js';
import { toPrincipal } from './claims/principal.js';
import { type ResolvedIssuer, resolveIssuer, resolveSettings } from './config.js';
import { checkSender, type DpopMode, type ProofRequest } from './dpop/sender.js';
import { createDpopVerifier, DEFAULT_DPOP_ALGORITHMS } from './dpop/verify-proof.js';
import { AuthError, isAuthError } from './errors.js';
import { introspectWithCache } from './introspection/cached.js';
import { KeyStore } from './jwks/key-store.js';
import { verifyJws } from './jwks/verify-jws.js';
import { verifyLogoutToken } from './logout/verify-logout-token.js';
import type { AuthEvent, AuthenticatorOptions, IssuerStatus } from './options.js';
import type { LogoutTokenClaims, Principal } from './principal.js';
import { assertAccessToken } from './token/access-token-type.js';
import {
  type DecodedToken,
  decodeCompactJws,
  decodeToken,
  looksLikeJws,
  MAX_TOKEN_LENGTH,
} from './token/decode.js';
import { assertAudience, validateClaims } from './token/validate-claims.js';

/** Per-request options of {@link Authenticator.authenticate}. */
export interface AuthenticateOptions {
  /**
   * The audiences accepted for this request, from the issuer's configured ones: a resource
   * that has its own identifier (RFC 8707 §2, RFC 9728 §1.2) accepts tokens naming it, e.g.
   * `() => ['https://api.example.com/mcp']`, or the configured ones and more,
   * `(configured) => [...configured, 'https://api.example.com']`. Default: the configured ones.
   */
  audiences?: (configured: readonly string[]) => readonly string[];
}

/** Verifies bearer tokens against the trusted issuers. Create one per process and reuse it. */
export interface Authenticator {
  /** Verifies an access token and maps it to a {@link Principal}; throws {@link AuthError}. */
  authenticate(token: string | undefined, options?: AuthenticateOptions): Promise<Principal>;
  /**
   * The cache-hit half of {@link authenticate}, synchronous: the principal of a token verified
   * before (still revocation- and audience-checked, exactly as `authenticate` checks a hit), or
   * `undefined` when the token must go through `authenticate`. Throws {@link AuthError}. Lets a
   * caller answer a warm request without a promise.
   */
  cached?(token: string, options?: AuthenticateOptions): Principal | undefined;
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
  /** An issuer's DPoP mode (`off` for an unknown issuer). */
  dpopMode(issuer: string): DpopMode;
  /** Proof algorithms accepted, when at least one issuer accepts DPoP (for challenges, §7.1). */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** Drops caches. */
  close(): void;
}

interface IssuerEntry {
  readonly issuer: ResolvedIssuer;
  readonly keys: KeyStore;
}

/** RFC 7662 §2.1: the introspection endpoint requires client authentication. */
function hasIntrospectionCredentials(entry: IssuerEntry): boolean {
  return entry.issuer.clientId !== undefined && entry.issuer.clientSecret !== undefined;
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
  const settings = resolveSettings(options);
  const now = options.now ?? Date.now;
  const onEvent = options.onEvent;
  const emit = (event: AuthEvent) => {
    try {
      onEvent?.(event);
    } catch {
      // A failing metrics hook must never change an authentication decision.
    }
  };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const verifier = options.signatureVerifier ?? 'node';
  const ctx = { settings, fetch: fetchImpl, now, emit };
  const issuers = new Map<string, IssuerEntry>();
  for (const o of options.issuers) {
    const issuer = resolveIssuer(o);
    if (issuers.has(issuer.issuer))
      throw new TypeError(`Issuer ${issuer.issuer} is configured twice`);
    issuers.set(issuer.issuer, { issuer, keys: new KeyStore(issuer, ctx) });
  }
  const dpopVerifier = options.dpop && createDpopVerifier({ ...options.dpop, now });
  const dpopModes = new Map<string, DpopMode>();
  for (const { issuer } of issuers.values()) {
    // Without a proof verifier nothing can be checked: `allowed` means bearer only, and
    // `required` could accept no token at all, a configuration error.
    const mode = issuer.dpop ?? 'allowed';
    if (mode === 'required' && dpopVerifier === undefined)
      throw new TypeError(`${issuer.issuer}: dpop required needs the authenticator's dpop options`);
    dpopModes.set(issuer.issuer, dpopVerifier ? mode : 'off');
  }
  const dpopAlgorithms = [...dpopModes.values()].some((m) => m !== 'off')
    ? Object.freeze([...(options.dpop?.algorithms ?? DEFAULT_DPOP_ALGORITHMS)])
    : undefined;
  const verified = new ExpiringLru<Principal>(settings.maxEntries);
  // The SHA-256 of the token each principal was verified from (its cache key): a DPoP proof's
  // `ath` (RFC 9449 §4.3 step 12) is compared with it without hashing the token a second time.
  const tokenHashes = new WeakMap<Principal, string>();
  const introspected = new ExpiringLru<Principal | AuthError>(settings.maxEntries);
  const introspectCtx = { settings, fetch: fetchImpl, now, emit, cache: introspected };

  const checkRevoked = (principal: Principal): Principal => {
    if (options.revocation?.isRevoked(principal))
      throw new AuthError('token_revoked', 'The access token was revoked');
    return principal;
  };

  /** Issuer for a token that is not a JWT: the single issuer able to introspect, if any. */
  const opaqueIssuer = (): IssuerEntry | undefined => {
    const candidates = [...issuers.values()].filter((e) => e.issuer.verify === 'introspect');
    return candidates.length === 1 ? candidates[0] : undefined;
  };

  /** Routes a token to its issuer; `decoded` is set for JWTs (decoded once, verified later). */
  const issuerOf = (token: string): { entry: IssuerEntry; decoded?: DecodedToken } => {
    if (!looksLikeJws(token)) {
      const entry = token.length <= MAX_TOKEN_LENGTH ? opaqueIssuer() : undefined;
      if (entry === undefined) decodeToken(token); // throws the precise token_malformed reason
      return { entry: entry as IssuerEntry };
    }
    const decoded = decodeCompactJws(token); // the shape was checked just above
    const iss = decoded.payload.iss;
    // Unknown `iss` is refused before any network call: a token cannot make us fetch anything.
    const entry = typeof iss === 'string' ? issuers.get(iss) : undefined;
    if (entry === undefined)
      throw new AuthError('issuer_unknown', 'The token issuer is not trusted');
    return { entry, decoded };
  };

  /** The audiences a request accepts from an issuer (its configured ones by default). */
  const accepted = (entry: IssuerEntry, options: AuthenticateOptions | undefined) =>
    options?.audiences?.(entry.issuer.audiences) ?? entry.issuer.audiences;

  const verifyJwt = async (
    entry: IssuerEntry,
    token: string,
    { header, payload }: DecodedToken,
    key: string,
    audiences: readonly string[],
  ): Promise<Principal> => {
    await verifyJws(entry.issuer, entry.keys, token, header, verifier);
    // Token type first: a refresh or ID token gets the precise reason, not audience_mismatch.
    assertAccessToken(entry.issuer, header, payload);
    const nowMs = now();
    validateClaims(entry.issuer, payload, {
      nowSec: Math.floor(nowMs / 1000),
      audiences,
      requireExp: true,
    });
    const principal = checkRevoked(toPrincipal(entry.issuer, payload));
    tokenHashes.set(principal, key);
    // Never outlives `exp`, nor the key TTL (a key withdrawn from the JWKS stops counting soon).
    verified.set(
      key,
      principal,
      Math.min(principal.expiresAt * 1000, nowMs + settings.jwksTtlMs),
      nowMs,
    );
    return principal;
  };

  /** Every failure is counted by reason code through the hook (never with the token). */
  const observe = async (
    work: (seen: { issuer?: string }) => Promise<Principal>,
  ): Promise<Principal> => {
    const seen: { issuer?: string } = {};
    try {
      return await work(seen);
    } catch (e) {
      if (isAuthError(e))
        emit({
          type: 'auth_failed',
          code: e.code,
          description: e.description,
          ...(seen.issuer === undefined ? {} : { issuer: seen.issuer }),
        });
      throw e;
    }
  };

  /** A verified token's principal from the cache, checked for this request; or undefined. */
  const fromCache = (key: string, options: AuthenticateOptions | undefined) => {
    const hit = verified.get(key, now());
    if (hit === undefined) return undefined;
    checkRevoked(hit);
    // Verified once for any resource; whether it is for this one is asked every time.
    const issuer = issuers.get(hit.issuer);
    if (issuer) assertAudience(hit.claims, accepted(issuer, options));
    emit({ type: 'authenticated', issuer: hit.issuer, cached: true, mode: 'jwt' });
    return hit;
  };

  return {
    cached: (token, options) => {
      if (typeof token !== 'string' || token === '') return undefined;
      try {
        return fromCache(tokenKey(token), options);
      } catch (e) {
        if (isAuthError(e)) emit({ type: 'auth_failed', code: e.code, description: e.description });
        throw e;
      }
    },

    authenticate: (token, options) =>
      observe(async (seen) => {
        if (typeof token !== 'string' || token === '')
          throw new AuthError('token_missing', 'No bearer token was sent');
        const key = tokenKey(token);
        const hit = fromCache(key, options);
        if (hit !== undefined) return hit;
        const { entry, decoded } = issuerOf(token);
        seen.issuer = entry.issuer.issuer;
        if (entry.issuer.verify === 'introspect' || decoded === undefined) {
          const { principal, cached } = await introspectWithCache(
            introspectCtx,
            entry,
            token,
            key,
            accepted(entry, options),
          );
          checkRevoked(principal);
          tokenHashes.set(principal, key);
          emit({ type: 'authenticated', issuer: entry.issuer.issuer, cached, mode: 'introspect' });
          return principal;
        }
        const principal = await verifyJwt(entry, token, decoded, key, accepted(entry, options));
        emit({ type: 'authenticated', issuer: entry.issuer.issuer, cached: false, mode: 'jwt' });
        return principal;
      }),

    introspect: (token, options) =>
      observe(async () => {
        if (typeof token !== 'string' || token === '')
          throw new AuthError('token_missing', 'No bearer token was sent');
        if (token.length > MAX_TOKEN_LENGTH) decodeToken(token); // throws token_malformed
        // The same routing as authenticate(): a JWT to the issuer it names, an opaque token only
        // to the one issuer that verifies by introspection — never to an IdP that may not have
        // issued it (RFC 7662 §4: a token must not be disclosed to other parties).
        const { entry } = issuerOf(token);
        if (!hasIntrospectionCredentials(entry))
          throw new AuthError(
            'idp_unavailable',
            `The issuer ${entry.issuer.issuer} is not configured for introspection (no client credentials)`,
          );
        const { principal } = await introspectWithCache(
          introspectCtx,
          entry,
          token,
          tokenKey(token),
          accepted(entry, options),
        );
        return checkRevoked(principal);
      }),

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

    checkSender: (principal, request) => {
      const accepts = dpopModes.get(principal.issuer) !== 'off';
      const tokenHash = tokenHashes.get(principal) ?? tokenKey(request.token);
      return checkSender(principal, request, accepts ? dpopVerifier : undefined, tokenHash);
    },

    dpopMode: (issuer) => dpopModes.get(issuer) ?? 'off',

    dpopAlgorithms,

    status: () => Object.freeze([...issuers.values()].map((e) => Object.freeze(e.keys.status()))),

    ready: async () => {
      const results = await Promise.all([...issuers.values()].map((e) => e.keys.ensureLoaded()));
      return results.every(Boolean);
    },

    close: () => {
      verified.clear();
      introspected.clear();
    },
  };
}
