import { AuthError } from '../errors.js';

/**
 * The answer's `exp`, `nbf` and `iat` (RFC 7662 §2.2), checked as a JWT's are (RFC 7519 §4.1.4 to
 * §4.1.6).
 * `exp` is optional there, but the answer is cached and a cache must never outlive the token:
 * without `exp` that bound is unknown, so the answer is refused. RFC 7519 §2: a NumericDate is a
 * finite number; `1e400` parses to Infinity and would make the answer look like it never expires.
 */
export function assertValidityWindow(
  answer: Record<string, unknown>,
  nowSec: number,
  leeway: number,
) {
  if (typeof answer.exp !== 'number' || !Number.isFinite(answer.exp))
    throw new AuthError('token_malformed', 'The introspection answer has no valid "exp" claim');
  if (nowSec >= answer.exp + leeway)
    throw new AuthError('token_expired', 'The access token expired');
  const nbf = answer.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf))
      throw new AuthError('token_malformed', 'The introspection answer "nbf" is not a NumericDate');
    if (nowSec + leeway < nbf)
      throw new AuthError('token_not_yet_valid', 'The access token is not valid yet (nbf)');
  }
  // RFC 7662 §2.2 `iat`, as a JWT's (RFC 7519 §4.1.6, RFC 8725 §3.10): a revocation refuses the
  // tokens issued up to it, so an `iat` ahead of this server's clock beyond the leeway would
  // escape the revocations made meanwhile.
  const iat = answer.iat;
  if (iat === undefined) return;
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new AuthError('token_malformed', 'The introspection answer "iat" is not a NumericDate');
  if (nowSec + leeway < iat)
    throw new AuthError('token_not_yet_valid', 'The access token was issued in the future (iat)');
}
