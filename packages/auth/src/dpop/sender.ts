import { tokenKey } from '../cache/lru.js';
import { AuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { DpopProofCheck } from './verify-proof.js';

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

/** What {@link checkSender} answers: the proof key's thumbprint, or `undefined` for a bearer request. */
export type Sender = { readonly jkt: string } | undefined;

/**
 * Checks how a verified token was presented (RFC 9449 §7): a DPoP-bound token (`cnf.jkt`) only
 * with the `DPoP` scheme and a valid proof by its key; the `DPoP` scheme only with a bound
 * token. Whether an issuer *requires* binding is decided by the authorization core
 * (`senderConstrained`), which sees the proof returned here.
 *
 * Synchronous (a refusal is thrown) unless the replay store answers asynchronously: then the
 * result is a promise, settled once the proof's `jti` is claimed.
 *
 * @param tokenHash base64url SHA-256 of `request.token`, when already computed.
 * @returns the thumbprint of the verified proof's key, or `undefined` for a bearer request.
 */
export function checkSender(
  principal: Principal,
  request: ProofRequest,
  verify: DpopProofCheck | undefined,
  tokenHash?: string,
): Sender | Promise<Sender> {
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
  const sender = { jkt: bound };
  const claimed = verify({
    proof: request.proof,
    method: request.method,
    url: request.url,
    // §4.3 step 12: `ath` is the base64url SHA-256 of the token, the verified-token cache key
    // (passed in when the caller has it already).
    accessTokenHash: tokenHash ?? tokenKey(request.token),
    boundJkt: bound,
  });
  return claimed === undefined ? sender : claimed.then(() => sender);
}
