/**
 * The ID token checks of OpenID Connect Core §3.1.3.7 that oidc-client-ts leaves out.
 *
 * oidc-client-ts (3.x, `ResponseValidator`) decodes the ID token without verifying it and checks
 * only that `sub` is present, that `nonce` equals the one kept with the state (when one was
 * sent) and, after a refresh, that `sub`, `auth_time` and `azp` did not change. It does not
 * compare `iss` with the issuer, `aud` with the client id, look at `azp` at sign-in, or read
 * `exp` and `iat`: a token issued by another provider, for another client, or long expired, is
 * taken as is. These checks close that gap.
 *
 * The signature is not verified, as §3.1.3.7 item 6 allows: the app is a public client using
 * the code flow, and receives the ID token directly from the token endpoint over TLS (the
 * server's certificate identifies the issuer).
 */

/** The ID token claims read here (OpenID Connect Core §2). */
export interface IdTokenClaims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  azp?: unknown;
  exp?: unknown;
  iat?: unknown;
  nbf?: unknown;
  nonce?: unknown;
  [claim: string]: unknown;
}

export interface IdTokenExpectations {
  /** The issuer identifier the app signs in with (§3.1.3.7 item 2: exact match). */
  issuer: string;
  /** This app's client id, which `aud` must contain (item 3). */
  clientId: string;
  /**
   * At sign-in: the `nonce` sent in the authentication request (item 11); a sign-in without
   * one is refused. After a refresh: `undefined` (§12.2, see `previous`).
   */
  nonce: string | undefined;
  /** After a refresh: the claims of the ID token the session held until now (§12.2). */
  previous?: IdTokenClaims;
  /** Seconds since the epoch; the device's clock by default. */
  now?: number;
}

/**
 * Clock skew allowed between this device and the identity provider, in seconds: "some small
 * leeway" (§3.1.3.7 item 9; RFC 7519 §4.1.4 says "no more than a few minutes").
 */
export const ID_TOKEN_CLOCK_TOLERANCE_SEC = 60;

/** The identity provider's ID token was refused: the sign-in (or renewal) did not happen. */
export class IdTokenRefusedError extends Error {
  override name = 'IdTokenRefusedError';
}

/**
 * Checks `idToken` against `expected` and returns its claims, or throws `IdTokenRefusedError`
 * saying what is wrong, in words for the person signing in.
 */
export function checkIdToken(idToken: unknown, expected: IdTokenExpectations): IdTokenClaims {
  const claims = readIdTokenClaims(idToken);
  const now = expected.now ?? Math.floor(Date.now() / 1000);
  const problem =
    issuerProblem(claims, expected.issuer) ??
    audienceProblem(claims, expected.clientId) ??
    timeProblem(claims, now) ??
    (expected.previous === undefined
      ? signInNonceProblem(claims, expected.nonce)
      : refreshProblem(claims, expected.previous));
  if (problem !== undefined) refuse(problem);
  return claims;
}

function refuse(problem: string): never {
  throw new IdTokenRefusedError(
    `The identity provider's ID token ${problem}, so it was not used and you are not signed in with it.`,
  );
}

/** The payload of a JWS in compact serialization (RFC 7515 §7.1), as a JSON object. */
export function readIdTokenClaims(idToken: unknown): IdTokenClaims {
  const parts = typeof idToken === 'string' ? idToken.split('.') : [];
  if (parts.length !== 3) refuse('is missing or not a signed JWT');
  let claims: unknown;
  try {
    const base64 = (parts[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    refuse('cannot be read');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    refuse('has no claims');
  }
  return claims as IdTokenClaims;
}

/** §3.1.3.7 item 2: `iss` exactly (simple string comparison) the issuer the app trusts. */
function issuerProblem(claims: IdTokenClaims, issuer: string): string | undefined {
  if (claims.iss === issuer) return undefined;
  if (typeof claims.iss !== 'string') return 'names no issuer (iss)';
  return `was issued by ${claims.iss}, not by ${issuer}`;
}

/**
 * §3.1.3.7 item 3: `aud` contains the client id; item 4: with several audiences, `azp` must be
 * present (as openid-client and oauth4webapi require); item 5: an `azp` present is this client.
 */
function audienceProblem(claims: IdTokenClaims, clientId: string): string | undefined {
  const { aud, azp } = claims;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (audiences.length === 0 || !audiences.every((entry) => typeof entry === 'string')) {
    return 'names no valid audience (aud)';
  }
  if (!audiences.includes(clientId)) {
    return `is meant for ${audiences.join(', ')}, not for this app (${clientId})`;
  }
  if (azp === undefined) {
    return audiences.length > 1
      ? `names other audiences than this app (${audiences.join(', ')}) and no authorized party (azp)`
      : undefined;
  }
  if (azp !== clientId) return `was obtained by another application (azp ${String(azp)})`;
  return undefined;
}

/**
 * §3.1.3.7 item 9: now is before `exp` (with the leeway); item 10: `iat` is a time, not ahead
 * of now beyond the leeway, and not after `exp`. RFC 7519 §2 NumericDate: seconds, a number.
 * The leeway is the one place where a wrong clock on this device shows, so the message says
 * what it reads.
 */
function timeProblem(claims: IdTokenClaims, now: number): string | undefined {
  const { exp, iat } = claims;
  if (!isNumericDate(exp)) return 'has no valid expiry time (exp)';
  if (!isNumericDate(iat)) return 'has no valid issue time (iat)';
  const clock = `this device's clock says ${isoTime(now)}`;
  if (exp <= now - ID_TOKEN_CLOCK_TOLERANCE_SEC) {
    return `expired at ${isoTime(exp)} (${clock})`;
  }
  if (iat > now + ID_TOKEN_CLOCK_TOLERANCE_SEC) {
    return `says it was issued in the future, at ${isoTime(iat)} (${clock})`;
  }
  if (iat > exp) return 'says it was issued after it expires (iat after exp)';
  // RFC 7519 §4.1.5: not to be accepted before `nbf`, if there is one.
  if (claims.nbf !== undefined) {
    if (!isNumericDate(claims.nbf)) return 'has an invalid not-before time (nbf)';
    if (claims.nbf > now + ID_TOKEN_CLOCK_TOLERANCE_SEC) {
      return `is not valid before ${isoTime(claims.nbf)} (${clock})`;
    }
  }
  return undefined;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/** §3.1.3.7 items 1 and 11: a `sub`, and exactly the `nonce` the authentication request sent. */
function signInNonceProblem(claims: IdTokenClaims, nonce: string | undefined): string | undefined {
  if (typeof claims.sub !== 'string' || claims.sub === '') return 'names no subject (sub)';
  // Every sign-in of the app sends a nonce (`createUserManager`): fail closed without one.
  if (nonce === undefined) return 'answers a sign-in that sent no nonce';
  if (claims.nonce !== nonce) return 'does not carry the nonce this sign-in sent';
  return undefined;
}

/**
 * §12.2: a refreshed ID token keeps the original's `iss`, `sub`, `aud` and `azp` (checked above
 * against the issuer and client id, and here for `sub` and `azp`) and, if it has a `nonce`, the
 * original's.
 */
function refreshProblem(claims: IdTokenClaims, previous: IdTokenClaims): string | undefined {
  if (claims.sub !== previous.sub) return 'names another person (sub) than this session';
  if (claims.azp !== previous.azp) return 'names another authorized party (azp) than this session';
  if (claims.nonce !== undefined && claims.nonce !== previous.nonce) {
    return 'carries another nonce than this session';
  }
  return undefined;
}
