import { tokenKey } from '../cache/lru.js';
import { toPrincipal } from '../claims/principal.js';
import { AuthError } from '../errors.js';
import { introspectWithCache } from '../introspection/cached.js';
import { verifyJws } from '../jwks/verify-jws.js';
import type { Principal } from '../principal.js';
import { assertAccessToken } from '../token/access-token-type.js';
import { type DecodedToken, decodeToken, MAX_TOKEN_LENGTH } from '../token/decode.js';
import { validateClaims } from '../token/validate-claims.js';
import { checkRevoked, fromCache } from './cached-token.js';
import {
  type AuthContext,
  type AuthenticateOptions,
  hasIntrospectionCredentials,
  type IssuerEntry,
} from './context.js';
import { reportFailure } from './events.js';
import { accepted, issuerOf } from './routing.js';

/**
 * Verifies a JWT through its issuer's keys and caches its principal. Synchronous when the
 * issuer's key is fresh (the usual case): a new token then costs no promise here.
 */
function verifyJwt(
  ctx: AuthContext,
  entry: IssuerEntry,
  token: string,
  decoded: DecodedToken,
  key: string,
  audiences: readonly string[],
): Principal | Promise<Principal> {
  const pending = verifyJws(entry.issuer, entry.keys, token, decoded.header, ctx.verifier, () => {
    checkClaims(ctx, entry, decoded, audiences);
    const { iat } = decoded.payload;
    return typeof iat === 'number' ? iat : undefined;
  });
  if (pending === undefined) return admit(ctx, entry, decoded, key, audiences);
  return pending.then(() => admit(ctx, entry, decoded, key, audiences));
}

/**
 * The token type and the registered claims (RFC 9068 §4), which need no key: after the
 * signature, and before an unknown `kid` refetches the keys. Returns the time they were checked.
 */
function checkClaims(
  ctx: AuthContext,
  entry: IssuerEntry,
  { header, payload }: DecodedToken,
  audiences: readonly string[],
): number {
  // Token type first: a refresh or ID token gets the precise reason, not audience_mismatch.
  assertAccessToken(entry.issuer, header, payload);
  const nowMs = ctx.now();
  validateClaims(entry.issuer, payload, {
    nowSec: Math.floor(nowMs / 1000),
    audiences,
    requireExp: true,
  });
  return nowMs;
}

/** A JWT whose signature verified: its type and claims checked, its principal cached. */
function admit(
  ctx: AuthContext,
  entry: IssuerEntry,
  { header, payload }: DecodedToken,
  key: string,
  audiences: readonly string[],
): Principal {
  const nowMs = checkClaims(ctx, entry, { header, payload }, audiences);
  const principal = checkRevoked(ctx, toPrincipal(entry.issuer, payload));
  // Only a bound token's proofs need its hash (`ath`); a plain bearer token's principal costs
  // no weak entry, which the garbage collector would have to process for each new token.
  if (principal.confirmation !== undefined) ctx.tokenHashes.set(principal, key);
  // Never outlives `exp`, nor the key TTL (a key withdrawn from the JWKS stops counting soon).
  ctx.verified.set(
    key,
    principal,
    Math.min(principal.expiresAt * 1000, nowMs + ctx.settings.jwksTtlMs),
    nowMs,
  );
  ctx.emit({ type: 'authenticated', issuer: entry.issuer.issuer, cached: false, mode: 'jwt' });
  return principal;
}

/** An opaque token, or any token of an introspecting issuer: RFC 7662, cached for seconds. */
async function introspectToken(
  ctx: AuthContext,
  entry: IssuerEntry,
  token: string,
  key: string,
  options: AuthenticateOptions | undefined,
): Promise<Principal> {
  const { principal, cached } = await introspectWithCache(
    ctx.introspection,
    entry,
    token,
    key,
    accepted(entry, options),
  );
  checkRevoked(ctx, principal);
  ctx.tokenHashes.set(principal, key);
  ctx.emit({ type: 'authenticated', issuer: entry.issuer.issuer, cached, mode: 'introspect' });
  return principal;
}

/**
 * The cache first, then the token's issuer verifies it; `seen` learns the issuer for events.
 * Returns the principal itself when nothing had to wait (a hit, or a JWT under a fresh key).
 */
function principalOf(
  ctx: AuthContext,
  token: string | undefined,
  options: AuthenticateOptions | undefined,
  seen: { issuer?: string },
  knownKey: string | undefined,
): Principal | Promise<Principal> {
  if (typeof token !== 'string' || token === '')
    throw new AuthError('token_missing', 'No bearer token was sent');
  const key = knownKey ?? tokenKey(token);
  const hit = fromCache(ctx, key, options);
  if (hit !== undefined) return hit;
  const { entry, decoded } = issuerOf(ctx.issuers, token);
  seen.issuer = entry.issuer.issuer;
  if (entry.issuer.verify === 'introspect' || decoded === undefined)
    return introspectToken(ctx, entry, token, key, options);
  return verifyJwt(ctx, entry, token, decoded, key, accepted(entry, options));
}

/**
 * `Authenticator.authenticateNow`: {@link authenticate} returning the principal itself when
 * nothing had to wait (a cache hit, or a JWT under a fresh key with the `node` verifier), a
 * promise otherwise; a synchronous refusal is thrown. Every failure is counted by reason code
 * through the hook. `key`: the token's cache key when the caller already computed it from this
 * very string (trusted, not checked).
 */
export function authenticateNow(
  ctx: AuthContext,
  token: string | undefined,
  options: AuthenticateOptions | undefined,
  key?: string,
): Principal | Promise<Principal> {
  const seen: { issuer?: string } = {};
  let result: Principal | Promise<Principal>;
  try {
    result = principalOf(ctx, token, options, seen, key);
  } catch (e) {
    reportFailure(ctx.emit, e, seen.issuer);
    throw e;
  }
  if (!(result instanceof Promise)) return result;
  return result.catch((e: unknown) => {
    reportFailure(ctx.emit, e, seen.issuer);
    throw e;
  });
}

/** `Authenticator.authenticate`: {@link authenticateNow}, always as a promise. */
export function authenticate(
  ctx: AuthContext,
  token: string | undefined,
  options: AuthenticateOptions | undefined,
): Promise<Principal> {
  let result: Principal | Promise<Principal>;
  try {
    result = authenticateNow(ctx, token, options);
  } catch (e) {
    return Promise.reject(e);
  }
  return result instanceof Promise ? result : Promise.resolve(result);
}

/** The RFC 7662 live check of {@link introspect}, failures not yet counted. */
async function liveCheck(
  ctx: AuthContext,
  token: string,
  options: AuthenticateOptions | undefined,
): Promise<Principal> {
  if (typeof token !== 'string' || token === '')
    throw new AuthError('token_missing', 'No bearer token was sent');
  if (token.length > MAX_TOKEN_LENGTH) decodeToken(token); // throws token_malformed
  // The same routing as authenticate(): a JWT to the issuer it names, an opaque token only
  // to the one issuer that verifies by introspection — never to an IdP that may not have
  // issued it (RFC 7662 §4: a token must not be disclosed to other parties).
  const { entry } = issuerOf(ctx.issuers, token);
  if (!hasIntrospectionCredentials(entry))
    throw new AuthError(
      'idp_unavailable',
      `The issuer ${entry.issuer.issuer} is not configured for introspection (no client credentials)`,
    );
  const { principal } = await introspectWithCache(
    ctx.introspection,
    entry,
    token,
    tokenKey(token),
    accepted(entry, options),
  );
  return checkRevoked(ctx, principal);
}

/** `Authenticator.introspect`: every failure is counted by reason code through the hook. */
export async function introspect(
  ctx: AuthContext,
  token: string,
  options: AuthenticateOptions | undefined,
): Promise<Principal> {
  try {
    return await liveCheck(ctx, token, options);
  } catch (e) {
    reportFailure(ctx.emit, e, undefined);
    throw e;
  }
}
