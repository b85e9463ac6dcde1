import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';
import type { KeyStore } from './key-store.js';
import {
  type SignatureVerifier,
  verifySignatureWithJose,
  verifySignatureWithNode,
} from './verify-signature.js';

/**
 * Header checks, key selection and signature verification of a compact JWS for one issuer.
 * Only `alg`, `kid` and `crit` are read from the header: `jku`, `x5u`, `x5c` and an embedded
 * `jwk` are never followed or trusted (RFC 8725 §3.10) — keys come from the issuer's JWKS only.
 */
export async function verifyJws(
  issuer: ResolvedIssuer,
  keys: KeyStore,
  token: string,
  header: Readonly<Record<string, unknown>>,
  verifier: SignatureVerifier,
): Promise<void> {
  const { alg, kid, crit } = header;
  if (typeof alg !== 'string' || alg === '')
    throw new AuthError('token_malformed', 'The token header has no "alg"');
  // RFC 8725 §3.1/§3.2: `none` and HMAC (keyed with a public key, the classic confusion attack)
  // are refused whatever the configuration says.
  if (alg.toLowerCase() === 'none' || alg.startsWith('HS') || !issuer.algorithms.includes(alg))
    throw new AuthError('alg_not_allowed', `The algorithm ${alg} is not allowed`);
  if (kid !== undefined && typeof kid !== 'string')
    throw new AuthError('token_malformed', 'The token header "kid" is not a string');
  // RFC 7515 §4.1.11: extensions marked critical that we do not understand must be rejected.
  if (crit !== undefined)
    throw new AuthError('token_malformed', 'The token header has unsupported critical extensions');
  // Hot path without awaits: fresh keys and the synchronous node:crypto verifier.
  const key = keys.peekKey(kid, alg) ?? (await keys.getKey(kid, alg));
  if (verifier === 'node') verifySignatureWithNode(token, alg, key);
  else await verifySignatureWithJose(token, alg, key);
}
