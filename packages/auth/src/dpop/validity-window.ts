import { invalid } from './proof-header.js';

/**
 * RFC 7519 §4.1.4, §4.1.5: a proof is a JWT (RFC 9449 §4.2), so an `exp` or `nbf` it carries
 * (neither is required) is honoured as any JWT's, with the clock tolerance: a proof its client
 * said expires is not accepted past that, whatever its `iat` allows.
 */
export function checkValidityWindow(
  payload: Record<string, unknown>,
  nowSec: number,
  toleranceSec: number,
): void {
  const { exp, nbf } = payload;
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      throw invalid('The DPoP proof exp is not a NumericDate');
    if (nowSec >= exp + toleranceSec) throw invalid('The DPoP proof expired (exp)');
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf))
      throw invalid('The DPoP proof nbf is not a NumericDate');
    if (nowSec + toleranceSec < nbf) throw invalid('The DPoP proof is not valid yet (nbf)');
  }
}
