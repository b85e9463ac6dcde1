import { createPublicKey, type KeyObject } from 'node:crypto';

/** A verification key from a JWKS, imported once as a Node `KeyObject`. */
export interface VerificationKey {
  readonly kid?: string;
  /** The JWK's `alg`, when it pins one (RFC 7517 §4.4). */
  readonly alg?: string;
  readonly key: KeyObject;
  /** Node's key type: `rsa`, `ec`, `ed25519`, … */
  readonly type: string;
  /** EC curve (`prime256v1`, …) when `type` is `ec`. */
  readonly curve?: string;
  /** RSA modulus length in bits. */
  readonly modulusLength?: number;
}

/** Public JWK members needed to rebuild the key; everything else (x5u, x5c, …) is dropped. */
const KEY_MEMBERS = ['kty', 'n', 'e', 'crv', 'x', 'y'] as const;

/**
 * JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4;
 * RFC 8037 §2).
 */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Imports the signature keys of a JWKS (RFC 7517 §5). Skipped: `use: "enc"` keys (§4.2),
 * keys whose `key_ops` is not an array or lacks `verify` (§4.3), symmetric `oct` keys (never
 * trusted from a JWKS, RFC 8725 §3.2), keys published with their private part, keys pinned to an
 * algorithm we do not allow, and keys that fail to import.
 */
export function importKeySet(
  jwks: Record<string, unknown>,
  algorithms: readonly string[],
): VerificationKey[] {
  if (!Array.isArray(jwks.keys)) throw new TypeError('The JWKS has no "keys" array');
  const imported: VerificationKey[] = [];
  for (const jwk of jwks.keys as unknown[]) {
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) continue;
    const k = jwk as Record<string, unknown>;
    if (k.use !== undefined && k.use !== 'sig') continue;
    // §4.3: `key_ops` is an array; any other value is malformed, and the key is not trusted.
    if (k.key_ops !== undefined && (!Array.isArray(k.key_ops) || !k.key_ops.includes('verify')))
      continue;
    if (k.kty !== 'RSA' && k.kty !== 'EC' && k.kty !== 'OKP') continue;
    if (k.alg !== undefined && (typeof k.alg !== 'string' || !algorithms.includes(k.alg))) continue;
    if (k.kid !== undefined && typeof k.kid !== 'string') continue;
    // A key published with its private part is disclosed: anyone who read the JWKS can sign
    // with it, so it proves nothing about the issuer (fail closed, as for DPoP proof keys).
    if (PRIVATE_JWK_MEMBERS.some((m) => k[m] !== undefined)) continue;
    const pub: Record<string, unknown> = {};
    for (const m of KEY_MEMBERS) if (k[m] !== undefined) pub[m] = k[m];
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pub as never, format: 'jwk' });
    } catch {
      continue;
    }
    const details = key.asymmetricKeyDetails ?? {};
    imported.push({
      ...(typeof k.kid === 'string' ? { kid: k.kid } : {}),
      ...(typeof k.alg === 'string' ? { alg: k.alg } : {}),
      key,
      type: key.asymmetricKeyType ?? 'unknown',
      ...(details.namedCurve === undefined ? {} : { curve: details.namedCurve }),
      ...(details.modulusLength === undefined ? {} : { modulusLength: details.modulusLength }),
    });
  }
  return imported;
}

/** Whether a key can verify a JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1). */
export function keyFitsAlgorithm(key: VerificationKey, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS'))
    // RFC 7518 §3.3: RSA keys of 2048 bits or more.
    return key.type === 'rsa' && (key.modulusLength ?? 0) >= 2048;
  if (alg === 'ES256') return key.type === 'ec' && key.curve === 'prime256v1';
  if (alg === 'ES384') return key.type === 'ec' && key.curve === 'secp384r1';
  if (alg === 'ES512') return key.type === 'ec' && key.curve === 'secp521r1';
  if (alg === 'EdDSA' || alg === 'Ed25519') return key.type === 'ed25519';
  return false;
}
