import { tokenKey } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import { assertAudience } from '../token/validate-claims.js';
import type { AuthContext, AuthenticateOptions } from './context.js';
import { reportFailure } from './events.js';
import { accepted } from './routing.js';

/** Refuses a principal the app's revocation check knows as revoked; consulted on every success. */
export function checkRevoked(ctx: AuthContext, principal: Principal): Principal {
  if (ctx.options.revocation?.isRevoked(principal))
    throw new AuthError('token_revoked', 'The access token was revoked');
  return principal;
}

/** A verified token's principal from the cache, checked for this request; or undefined. */
export function fromCache(
  ctx: AuthContext,
  key: string,
  options: AuthenticateOptions | undefined,
): Principal | undefined {
  const hit = ctx.verified.get(key, ctx.now());
  if (hit === undefined) return undefined;
  checkRevoked(ctx, hit);
  // Verified once for any resource; whether it is for this one is asked every time. An entry
  // whose issuer is not (or no longer) trusted is not an answer: the token goes through full
  // verification, which refuses it (fail closed, never a skipped audience check).
  const issuer = ctx.issuers.get(hit.issuer);
  if (issuer === undefined) return undefined;
  assertAudience(hit.claims, accepted(issuer, options));
  ctx.emit({ type: 'authenticated', issuer: hit.issuer, cached: true, mode: 'jwt' });
  return hit;
}

/**
 * `Authenticator.cached`: the warm path, synchronous and without a promise. Undefined when the
 * token must go through `authenticate`; a refusal is counted and thrown.
 */
export function cachedPrincipal(
  ctx: AuthContext,
  token: string,
  options: AuthenticateOptions | undefined,
  key?: string,
): Principal | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  try {
    return fromCache(ctx, key ?? tokenKey(token), options);
  } catch (e) {
    reportFailure(ctx.emit, e, undefined);
    throw e;
  }
}
