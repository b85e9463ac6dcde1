import type { ResolvedIssuer } from '../config.js';
import { AuthError, isAuthError } from '../errors.js';
import type { KeyStore } from '../jwks/key-store.js';
import { verifyJws } from '../jwks/verify-jws.js';
import type { SignatureVerifier } from '../jwks/verify-signature.js';
import type { LogoutTokenClaims } from '../principal.js';
import { decodeToken } from '../token/decode.js';
import { typNames } from '../token/media-type.js';
import { audiencesOf } from '../token/validate-claims.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A logout token older than this is refused (OIDC Back-Channel Logout 1.0 §2.6 step 6 lets RPs bound `iat`). */
export const LOGOUT_TOKEN_MAX_AGE_SEC = 600;

/** What logout-token validation needs from the authenticator. */
export interface LogoutContext {
  readonly issuers: ReadonlyMap<string, { issuer: ResolvedIssuer; keys: KeyStore }>;
  readonly nowSec: () => number;
  readonly verifier: SignatureVerifier;
}

function invalid(description: string): never {
  throw new AuthError('logout_token_invalid', description);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `sub` or `sid` of a logout token: undefined when absent, refused when present but not a
 * non-empty string (§2.4: both are strings; OpenID Connect Core 1.0 §2 has `sub` never empty).
 * Dropping a wrong-typed one would let the other decide what ends: a `sid` of 42 beside a
 * `sub` would end every session of the subject, not the one session the provider meant.
 */
function target(payload: Record<string, unknown>, name: 'sub' | 'sid'): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    invalid(`The logout token's "${name}" is not a non-empty string`);
  return value;
}

/** The claim checks of §2.6 (all but the signature), and the claims they accept. */
function logoutClaims(
  issuer: ResolvedIssuer,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  audiences: readonly string[],
  now: number,
): LogoutTokenClaims {
  // Header types are media types (RFC 7515 §4.1.9): any case, `application/` optional.
  const explicitlyTyped = typNames(header.typ, 'logout+jwt');
  // Keycloak's `typ: "Logout"` claim stands in for the header only under a generic header
  // type (`JWT` or none): a header that types the token as something else decides (RFC 8725
  // §3.11), whatever the claims say.
  const genericHeader = header.typ === undefined || typNames(header.typ, 'jwt');
  if (!explicitlyTyped && !(genericHeader && payload.typ === 'Logout'))
    invalid('The token is not typed as a logout token');
  // §2.6 step 4 validates `aud` as in an ID token (OpenID Connect Core 1.0 §3.1.3.7 step 3):
  // it names one of this API's clients and no audience the API does not trust.
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (!Array.isArray(aud) || !aud.some((a) => audiences.includes(a)))
    invalid('The logout token audience is not this client');
  if (!aud.every((a) => audiences.includes(a)))
    invalid('The logout token also names an audience that is not a client of this API');
  const leeway = issuer.clockToleranceSec;
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) invalid('The logout token has no "iat"');
  if (iat > now + leeway) invalid('The logout token was issued in the future');
  if (iat < now - LOGOUT_TOKEN_MAX_AGE_SEC - leeway) invalid('The logout token is too old');
  // §2.4 as amended by errata set 1 (2023): `exp` is REQUIRED; §2.6 step 5 validates it as in
  // an ID token. Keycloak sends it since its fix of issue 25753 (December 2023, backported to
  // 22.0 and 23.0), Authentik since 2025.8.2; older releases' logout tokens are refused.
  const exp = payload.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) invalid('The logout token has no "exp"');
  if (now >= exp + leeway) invalid('The logout token expired');
  // RFC 7519 §4.1.5: an `nbf` it carries is honoured, as in any JWT.
  const nbf = payload.nbf;
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf)))
    invalid('The logout token "nbf" is not a NumericDate');
  if (typeof nbf === 'number' && now + leeway < nbf) invalid('The logout token is not valid yet');
  const events = payload.events;
  if (events === null || typeof events !== 'object' || Array.isArray(events))
    invalid('The logout token has no "events"');
  const event = (events as Record<string, unknown>)[EVENT];
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    invalid('The logout token "events" lacks the back-channel logout event');
  const sub = target(payload, 'sub');
  const sid = target(payload, 'sid');
  if (sub === undefined && sid === undefined)
    invalid('The logout token has neither "sub" nor "sid"');
  // §2.4: a nonce is prohibited, so an ID token can never pass as a logout token.
  if (payload.nonce !== undefined) invalid('The logout token carries a "nonce"');
  const jti = str(payload.jti);
  return Object.freeze({
    issuer: issuer.issuer,
    ...(sub === undefined ? {} : { subject: sub }),
    ...(sid === undefined ? {} : { sessionId: sid }),
    ...(jti === undefined ? {} : { jti }),
    issuedAt: iat,
    expiresAt: exp,
    acceptedUntil: Math.min(exp, iat + LOGOUT_TOKEN_MAX_AGE_SEC) + leeway,
    audience: Object.freeze([...audiencesOf(payload)]),
    claims: Object.freeze({ ...payload }),
  });
}

/**
 * OIDC Back-Channel Logout 1.0 §2.6 validation. Signature through the issuer's keys, `iss`
 * exact, `aud` names one of `audiences` and nothing else, `iat` recent, `exp` present and not
 * passed, `nbf` (when present) reached, explicit typing (`typ: logout+jwt` header, §2.4; or
 * Keycloak's `typ: "Logout"` claim, which it sends instead), the back-channel logout `events`
 * member, `sid` and/or `sub` (each a non-empty string when present), and no `nonce`. Replay
 * (`jti`) is checked by the caller, which owns the storage.
 */
export async function verifyLogoutToken(
  ctx: LogoutContext,
  token: string,
  audiences: readonly string[],
): Promise<LogoutTokenClaims> {
  try {
    if (typeof token !== 'string' || token === '') invalid('The logout token is missing');
    const { header, payload } = decodeToken(token);
    const entry = typeof payload.iss === 'string' ? ctx.issuers.get(payload.iss) : undefined;
    if (entry === undefined) invalid('The logout token issuer is not trusted');
    // The claims need no key: checked before an unknown `kid` may refetch the keys too (a
    // made-up token costs no fetch, and one whose key may have been rotated in while refetches
    // wait is answered 503 with Retry-After, so the provider may send it again; see
    // `KeyStore.getKey`), and again once the signature verified.
    const check = () => logoutClaims(entry.issuer, header, payload, audiences, ctx.nowSec());
    await verifyJws(entry.issuer, entry.keys, token, header, ctx.verifier, () => check().issuedAt);
    return check();
  } catch (e) {
    if (isAuthError(e) && (e.code === 'logout_token_invalid' || e.status === 503)) throw e;
    throw new AuthError(
      'logout_token_invalid',
      isAuthError(e) ? e.description : 'The logout token is invalid',
      { cause: e },
    );
  }
}
