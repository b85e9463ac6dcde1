import type { ExpiringLru } from '../cache/lru.js';
import { toPrincipal } from '../claims/principal.js';
import type { ResolvedIssuer, ResolvedSettings } from '../config.js';
import { AuthError, isAuthError } from '../errors.js';
import type { KeyStore } from '../jwks/key-store.js';
import type { AuthEvent } from '../options.js';
import type { Principal } from '../principal.js';
import { PROFILES } from '../profiles/index.js';
import { assertAccessToken } from '../token/access-token-type.js';
import { describeValue, withArticle } from '../token/describe-value.js';
import { assertAudience, assertAuthTime, assertOneClient } from '../token/validate-claims.js';
import type { IntrospectionClientState } from './client-state.js';
import { callIntrospection, refusesClient } from './introspect.js';
import { assertValidityWindow } from './validity-window.js';

/** What cached introspection needs from the authenticator. */
export interface IntrospectionCacheContext {
  readonly settings: ResolvedSettings;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly emit: (event: AuthEvent) => void;
  /** Positive answers (principals) and negative ones (`token_inactive` errors). */
  readonly cache: ExpiringLru<Principal | AuthError>;
}

/**
 * RFC 7662 §2.2 `token_type` values of an access token (case-insensitive; RFC 6749 §7.1): bearer,
 * or DPoP (RFC 9449 §12.1; Keycloak answers it for a DPoP-bound token, whose `cnf.jkt` the
 * sender check then requires a proof for).
 */
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'access_token']);

/**
 * Checks an `active: true` answer the way a JWT would be checked (RFC 7662 §4: the resource
 * server decides). `active: true` only says the token is valid at the IdP, not that it is an
 * access token for this API: `aud`, `iss`, `exp` and the token type are checked here.
 */
function principalFrom(
  issuer: ResolvedIssuer,
  answer: Record<string, unknown>,
  nowSec: number,
  audiences: readonly string[],
): Principal {
  const { active: _active, token_type: tokenType, ...claims } = answer;
  // Authentik names the API itself in `client_id`: the token's client is its `aud` there.
  if (PROFILES[issuer.profile].introspectionNamesCaller) {
    delete claims.client_id;
    if (claims.azp === undefined && typeof claims.aud === 'string') claims.azp = claims.aud;
  }
  // RFC 7662 §2.2 `token_type`: only a bearer access token opens the API (the dev IdP's Authentik
  // profile answers `refresh_token` for a refresh token). Absent is allowed: Keycloak sends its
  // `typ` instead, and real Authentik sends neither.
  if (
    tokenType !== undefined &&
    (typeof tokenType !== 'string' || !ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase()))
  )
    throw new AuthError(
      'token_type_invalid',
      `A token of type ${describeValue(tokenType)} is not an access token`,
    );
  // RFC 9449 §6.2: a DPoP token's answer names its key; without `cnf.jkt` it would pass as bearer.
  if (
    typeof tokenType === 'string' &&
    tokenType.toLowerCase() === 'dpop' &&
    typeof (claims.cnf as { jkt?: unknown } | undefined)?.jkt !== 'string'
  )
    throw new AuthError('token_type_invalid', 'A DPoP token without cnf.jkt is not usable');
  // Keycloak introspects refresh and ID tokens too, answering its own `typ` claim (`Refresh`,
  // `ID`, `Logout`); in an introspection answer only `Bearer` (or `DPoP`) is an access token.
  if (
    claims.typ !== undefined &&
    (typeof claims.typ !== 'string' || !['bearer', 'dpop'].includes(claims.typ.toLowerCase()))
  )
    throw new AuthError(
      'token_type_invalid',
      `${withArticle(describeValue(claims.typ))} token is not an access token`,
    );
  assertAccessToken(issuer, {}, claims, 'introspection', tokenType !== undefined);
  // As for a JWT: one client, or the answer cannot be told from an agent's (first party or not).
  assertOneClient(claims);
  // RFC 7662 §2.2 makes `iss` optional, but Keycloak and Authentik always send it; an answer
  // that does not say who issued the token is refused rather than assumed to be ours.
  if (answer.iss !== issuer.issuer)
    throw new AuthError(
      'issuer_unknown',
      answer.iss === undefined
        ? 'The introspection answer names no issuer'
        : 'The introspected token comes from another issuer',
    );
  assertValidityWindow(answer, nowSec, issuer.clockToleranceSec);
  assertAuthTime(answer, nowSec, issuer.clockToleranceSec);
  // RFC 7519 §4.1.3 / RFC 9068 §4: the token must be meant for this resource; no `aud` is no match.
  assertAudience(answer, audiences);
  // The owner of every row is (issuer, sub), so the subject must be the IdP's stable `sub`
  // (RFC 7662 §2.2). No fallback to `username`: a name someone chose could equal another
  // person's `sub` and open that person's data.
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '')
    throw new AuthError('token_inactive', 'The introspection answer names no subject');
  return toPrincipal(issuer, { ...claims, iss: issuer.issuer, sub });
}

/**
 * Throws `idp_unavailable` without a provider call while the provider refused the API's client
 * less than a cooldown ago (see {@link IntrospectionClientState.assertNotRefused}).
 */
function refuseWhileClientRefused(
  ctx: IntrospectionCacheContext,
  entry: { readonly issuer: ResolvedIssuer; readonly client?: IntrospectionClientState },
): void {
  try {
    entry.client?.assertNotRefused();
  } catch (e) {
    ctx.emit({
      type: 'introspection',
      issuer: entry.issuer.issuer,
      ok: false,
      cached: true,
      durationMs: 0,
      error: isAuthError(e) ? e.description : String(e),
      clientRefused: true,
    });
    throw e;
  }
}

/**
 * RFC 7662 introspection with a cache keyed by the token hash: an active answer is kept for
 * `introspectionTtlSec` but never past the token's `exp`; an inactive one for `negativeTtlSec`.
 * An unreachable IdP is `idp_unavailable` (503) and is never cached. A provider refusing the
 * API's client credentials is recorded by `entry.client` (readiness), which then refuses every
 * token with the same 503 for a cooldown without asking the provider again.
 */
export async function introspectWithCache(
  ctx: IntrospectionCacheContext,
  entry: {
    readonly issuer: ResolvedIssuer;
    readonly keys: KeyStore;
    readonly client?: IntrospectionClientState;
  },
  token: string,
  key: string,
  audiences: readonly string[] = entry.issuer.audiences,
): Promise<{ principal: Principal; cached: boolean }> {
  const issuer = entry.issuer.issuer;
  const hit = ctx.cache.get(key, ctx.now());
  if (hit !== undefined) {
    ctx.emit({
      type: 'introspection',
      issuer,
      ok: true,
      active: !isAuthError(hit),
      cached: true,
      durationMs: 0,
    });
    if (isAuthError(hit)) throw hit;
    // Cached for any resource: the audience is this request's question (RFC 8707 §2).
    assertAudience(hit.claims, audiences);
    return { principal: hit, cached: true };
  }
  refuseWhileClientRefused(ctx, entry);
  const endpoint = await entry.keys.introspectionEndpoint();
  const started = performance.now();
  let principal: Principal;
  try {
    const answer = await callIntrospection(entry.issuer, endpoint, token, {
      fetch: ctx.fetch,
      timeoutMs: ctx.settings.httpTimeoutMs,
    });
    entry.client?.observe(undefined);
    principal = principalFrom(entry.issuer, answer, Math.floor(ctx.now() / 1000), audiences);
  } catch (caught) {
    const durationMs = performance.now() - started;
    entry.client?.observe(caught);
    // A provider that answers a refused client `active: false` (Authentik): asked about the client.
    const e = entry.client
      ? entry.client.withRetryAfter(await entry.client.unmask(caught, entry.keys))
      : caught;
    if (isAuthError(e) && e.code === 'idp_unavailable') {
      ctx.emit({
        type: 'introspection',
        issuer,
        ok: false,
        cached: false,
        durationMs,
        error: e.description,
        ...(refusesClient(e.cause) ? { clientRefused: true } : {}),
      });
    } else if (isAuthError(e)) {
      ctx.emit({
        type: 'introspection',
        issuer,
        ok: true,
        active: false,
        cached: false,
        durationMs,
      });
      // A token for another resource may be good where its audience is accepted (RFC 8707
      // §2): that refusal depends on the request, so it is not kept.
      const now = ctx.now();
      if (e.code !== 'audience_mismatch')
        ctx.cache.set(key, e, now + ctx.settings.negativeTtlMs, now);
    }
    throw e;
  }
  keepActive(ctx, issuer, key, principal, performance.now() - started);
  return { principal, cached: false };
}

/** An active answer: told, and kept for `introspectionTtlSec` but never past the token's `exp`. */
function keepActive(
  ctx: IntrospectionCacheContext,
  issuer: string,
  key: string,
  principal: Principal,
  durationMs: number,
): void {
  ctx.emit({
    type: 'introspection',
    issuer,
    ok: true,
    active: true,
    cached: false,
    durationMs,
  });
  const now = ctx.now();
  const exp = principal.expiresAt > 0 ? principal.expiresAt * 1000 : Number.POSITIVE_INFINITY;
  ctx.cache.set(key, principal, Math.min(now + ctx.settings.introspectionTtlMs, exp), now);
}
