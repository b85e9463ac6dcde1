import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';

/** Options of {@link validateClaims}. */
export interface ClaimChecks {
  /** Current time in seconds. */
  readonly nowSec: number;
  readonly audiences: readonly string[];
  /** `exp` is required (access tokens: RFC 9068 §2.2). */
  readonly requireExp: boolean;
}

function numeric(claims: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new AuthError('token_malformed', `The "${name}" claim is not a NumericDate`);
  return value;
}

/** Token audiences as a list (RFC 7519 §4.1.3: a string or an array of strings). */
export function audiencesOf(claims: Readonly<Record<string, unknown>>): readonly string[] {
  const aud = claims.aud;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/** Whether `aud` (a string or an array, RFC 7519 §4.1.3) names one of `accepted`; no copies. */
function namesAudience(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  if (!Array.isArray(aud)) return false;
  for (const a of aud) if (typeof a === 'string' && accepted.includes(a)) return true;
  return false;
}

/**
 * Registered-claim checks after the signature is verified: `iss` exact (RFC 7519 §4.1.1),
 * `sub` present, `exp`/`nbf` with leeway (§4.1.4, §4.1.5), `iat` and `auth_time` not in the
 * future (RFC 8725 §3.10 / RFC 9068 §4; {@link assertAuthTime}), `aud` contains an accepted
 * audience (§4.1.3).
 */
export function validateClaims(
  issuer: ResolvedIssuer,
  claims: Readonly<Record<string, unknown>>,
  checks: ClaimChecks,
): void {
  if (claims.iss !== issuer.issuer)
    throw new AuthError('issuer_unknown', 'The token issuer does not match the verifying key set');
  const leeway = issuer.clockToleranceSec;
  const exp = numeric(claims, 'exp');
  if (exp === undefined && checks.requireExp)
    throw new AuthError('token_malformed', 'The token has no "exp" claim');
  if (exp !== undefined && checks.nowSec >= exp + leeway)
    throw new AuthError('token_expired', 'The access token expired');
  const nbf = numeric(claims, 'nbf');
  if (nbf !== undefined && checks.nowSec + leeway < nbf)
    throw new AuthError('token_not_yet_valid', 'The access token is not valid yet (nbf)');
  const iat = numeric(claims, 'iat');
  if (iat !== undefined && checks.nowSec + leeway < iat)
    throw new AuthError('token_not_yet_valid', 'The access token was issued in the future (iat)');
  assertAuthTime(claims, checks.nowSec, leeway);
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new AuthError('token_malformed', 'The token has no "sub" claim');
  assertOneClient(claims);
  assertAudience(claims, checks.audiences);
}

/**
 * The claims that name a token's client, in the order they are read: `azp` (OpenID Connect
 * Core §2), `client_id` (RFC 9068 §2.2, RFC 7662 §2.2), and the names providers give it in
 * their own access tokens, which carry neither: Okta's `cid`, Microsoft Entra ID v1's `appid`.
 */
const CLIENT_CLAIMS = ['azp', 'client_id', 'cid', 'appid'] as const;

/**
 * The token's client ({@link CLIENT_CLAIMS}, the first non-empty string), or `undefined` when
 * it names none. An agent's token named by `cid` or `appid` is an agent's all the same: listed
 * for the person, ended by them, kept from the app's own routes.
 */
export function clientOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of CLIENT_CLAIMS) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * The client is named by one of {@link CLIENT_CLAIMS}: a token naming two different ones (`azp`
 * and `client_id`, or either and `cid` or `appid`) cannot be told apart from an agent's, nor
 * matched to one revocation. Throws `token_malformed`.
 */
export function assertOneClient(claims: Readonly<Record<string, unknown>>): void {
  let named: string | undefined;
  let by: string | undefined;
  for (const name of CLIENT_CLAIMS) {
    const value = claims[name];
    if (typeof value !== 'string') continue;
    if (named === undefined) {
      named = value;
      by = name;
    } else if (value !== named)
      throw new AuthError(
        'token_malformed',
        `The token names two clients: "${by}" and "${name}" differ`,
      );
  }
}

/**
 * OpenID Connect Core §2 / RFC 9068 §2.2.1: `auth_time` is when the person authenticated, so it
 * cannot lie ahead of now by more than the clock leeway. Step-up (RFC 9470 §3, `max_age`)
 * subtracts it from now: one in the future would pass every `max_age` until long after the
 * token was issued. A value that is not a number is left to the decision, which takes it as
 * unknown (too old for any `max_age`).
 */
export function assertAuthTime(
  claims: Readonly<Record<string, unknown>>,
  nowSec: number,
  leeway: number,
): void {
  const authTime = claims.auth_time;
  if (typeof authTime === 'number' && nowSec + leeway < authTime)
    throw new AuthError(
      'token_not_yet_valid',
      'The person authenticated in the future (auth_time) by the clock of this server',
    );
}

/**
 * RFC 7519 §4.1.3, RFC 9068 §4: the token's `aud` names one of the `accepted` audiences (for a
 * resource identifier, RFC 8707 §2); no `aud` is no match. Throws `audience_mismatch`.
 */
export function assertAudience(
  claims: Readonly<Record<string, unknown>>,
  accepted: readonly string[],
): void {
  if (!namesAudience(claims.aud, accepted))
    throw new AuthError(
      'audience_mismatch',
      `The token audience does not include ${accepted.join(' or ')}`,
    );
}
