import type { ResolvedIssuer } from '../config.js';
import { AuthError } from '../errors.js';
import { describeValue } from '../token/describe-value.js';
import type { VerificationKey } from './import-key.js';
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
 * Synchronous when the key is fresh and the verifier is `node` (returns undefined, throws the
 * refusal); otherwise a promise. Callers `await` it either way. `beforeRefetch` runs the checks
 * that need no signature before an unknown `kid` may refetch the keys, and returns the token's
 * `iat` (see `KeyStore.getKey`).
 */
export function verifyJws(
  issuer: ResolvedIssuer,
  keys: KeyStore,
  token: string,
  header: Readonly<Record<string, unknown>>,
  verifier: SignatureVerifier,
  beforeRefetch?: () => number | undefined,
): Promise<void> | undefined {
  const { alg, kid, crit } = header;
  if (typeof alg !== 'string' || alg === '')
    throw new AuthError('token_malformed', 'The token header has no "alg"');
  // RFC 8725 §3.1/§3.2: `none` and HMAC (keyed with a public key, the classic confusion attack)
  // are refused whatever the configuration says.
  if (alg.toLowerCase() === 'none' || alg.startsWith('HS') || !issuer.algorithms.includes(alg))
    // The header is the client's: its `alg` is shown shortened (describeValue), as any
    // untrusted value, not echoed whole into the challenge's error_description (RFC 6750 §3).
    throw new AuthError('alg_not_allowed', `The algorithm ${describeValue(alg)} is not allowed`);
  if (kid !== undefined && typeof kid !== 'string')
    throw new AuthError('token_malformed', 'The token header "kid" is not a string');
  // RFC 7515 §4.1.11: extensions marked critical that we do not understand must be rejected.
  if (crit !== undefined)
    throw new AuthError('token_malformed', 'The token header has unsupported critical extensions');
  // Hot path without a promise: a fresh key and the synchronous node:crypto verifier.
  const key = keys.peekKey(kid, alg);
  if (key === undefined) {
    // The token's arrival, before `getKey` loads the keys (first use, TTL over): a fetch begun
    // since is as new as it can ask for, and a token without `kid` refetches for nothing after it.
    const arrivedAt = keys.now();
    return keys
      .getKey(kid, alg, beforeRefetch)
      .then((k) => verifyWithAny(verifier, token, alg, k, keys, kid, beforeRefetch, arrivedAt));
  }
  return verifyWithAny(verifier, token, alg, key, keys, kid, beforeRefetch);
}

function isBadSignature(error: unknown): boolean {
  return error instanceof AuthError && error.code === 'signature_invalid';
}

/**
 * Verifies with `key`, and when its signature does not match, with each other key the set holds
 * under the same `kid` (RFC 7515 §4.1.4: the `kid` is a hint; RFC 7517 §4.5: distinct kids are a
 * SHOULD). Without a `kid`, then with the keys a refetch brings ({@link verifyWithNewKeys}). The
 * first refusal stands when none verifies.
 */
function verifyWithAny(
  verifier: SignatureVerifier,
  token: string,
  alg: string,
  key: VerificationKey,
  keys: KeyStore,
  kid: string | undefined,
  beforeRefetch?: () => number | undefined,
  arrivedAt?: number,
): Promise<void> | undefined {
  if (verifier === 'jose')
    return verifySignatureWithJose(token, alg, key).catch(async (error: unknown) => {
      if (!isBadSignature(error)) throw error;
      const others = keys.othersWithKid(kid, alg, key);
      for (const other of others) {
        if (
          await verifySignatureWithJose(token, alg, other).then(
            () => true,
            () => false,
          )
        )
          return;
      }
      if (kid !== undefined) throw error;
      const tried = [key, ...others];
      return verifyWithNewKeys(verifier, token, alg, keys, tried, error, beforeRefetch, arrivedAt);
    });
  try {
    verifySignatureWithNode(token, alg, key);
  } catch (error) {
    if (!isBadSignature(error)) throw error;
    const others = keys.othersWithKid(kid, alg, key);
    for (const other of others) {
      try {
        verifySignatureWithNode(token, alg, other);
        return undefined;
      } catch {
        // Not this one either.
      }
    }
    if (kid !== undefined) throw error;
    const tried = [key, ...others];
    return verifyWithNewKeys(verifier, token, alg, keys, tried, error, beforeRefetch, arrivedAt);
  }
  return undefined;
}

/**
 * A token without `kid` that none of the held keys (`tried`) verifies: verified with the keys
 * the set holds beyond them once fetched again (`KeyStore.newKeys`: an issuer that signs without
 * `kid` and rotates to a new key would otherwise have every token refused 401 until the keys'
 * TTL, its people sent to sign in again for nothing). `error` stands when none verifies.
 */
async function verifyWithNewKeys(
  verifier: SignatureVerifier,
  token: string,
  alg: string,
  keys: KeyStore,
  tried: readonly VerificationKey[],
  error: unknown,
  beforeRefetch: (() => number | undefined) | undefined,
  arrivedAt: number | undefined,
): Promise<void> {
  for (const key of await keys.newKeys(alg, tried, beforeRefetch, arrivedAt)) {
    try {
      if (verifier === 'jose') await verifySignatureWithJose(token, alg, key);
      else verifySignatureWithNode(token, alg, key);
      return;
    } catch (e) {
      if (!isBadSignature(e)) throw e;
    }
  }
  throw error;
}
