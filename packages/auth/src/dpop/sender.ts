import { tokenKey } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { DpopVerifier } from './verify-proof.js';

/**
 * How an issuer's tokens may be sender-constrained (RFC 9449): `off` (the `DPoP` scheme is not
 * accepted), `allowed` (bearer tokens and DPoP-bound tokens with their proofs) or `required`
 * (only DPoP-bound tokens with their proofs).
 */
export type DpopMode = 'off' | 'allowed' | 'required';

/** The request as a DPoP proof is checked against it. */
export interface ProofRequest {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
  /** The `DPoP` header value(s). */
  readonly proof: string | readonly string[] | undefined;
  readonly method: string;
  /** `scheme://host[:port]/path?query` as the client addressed it. */
  readonly url: string;
}

/**
 * Checks how a verified token was presented (RFC 9449 §7): a DPoP-bound token (`cnf.jkt`) only
 * with the `DPoP` scheme and a valid proof by its key; the `DPoP` scheme only with a bound
 * token. Whether an issuer *requires* binding is decided by the authorization core
 * (`senderConstrained`), which sees the proof returned here.
 *
 * @param tokenHash base64url SHA-256 of `request.token`, when already computed.
 * @returns the thumbprint of the verified proof's key, or `undefined` for a bearer request.
 */
export async function checkSender(
  principal: Principal,
  request: ProofRequest,
  verify: DpopVerifier | undefined,
  tokenHash?: string,
): Promise<{ jkt: string } | undefined> {
  const bound = principal.confirmation?.jkt;
  if (request.scheme === 'Bearer') {
    // §7.2: a DPoP-bound token sent as a bearer token is refused, or binding would mean nothing.
    if (bound !== undefined)
      throw new AuthError(
        'token_binding_mismatch',
        'The access token is DPoP-bound: send it with the DPoP scheme and a proof',
      );
    return undefined;
  }
  if (verify === undefined)
    throw new AuthError('dpop_proof_invalid', 'DPoP is not accepted by this resource server');
  if (bound === undefined)
    throw new AuthError(
      'token_binding_mismatch',
      'The access token is not DPoP-bound: send it with the Bearer scheme',
    );
  await verify({
    proof: request.proof,
    method: request.method,
    url: request.url,
    // §4.3 step 12: `ath` is the base64url SHA-256 of the token, the verified-token cache key
    // (passed in when the caller has it already).
    accessTokenHash: tokenHash ?? tokenKey(request.token),
    boundJkt: bound,
  });
  return { jkt: bound };
}
