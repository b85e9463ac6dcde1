import { hash } from 'node:crypto';

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK SHA-256 thumbprint of a public key, base64url-encoded: the value of a
 * DPoP-bound token's `cnf.jkt` (RFC 9449 §6.1). Synchronous (one hash of ~100 bytes), unlike
 * jose's `calculateJwkThumbprint`, which goes through WebCrypto; tests check both agree.
 *
 * @returns the thumbprint, or `undefined` when the key type is unknown or a required member is
 *   missing or not a string.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) return undefined;
  const canonical: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    canonical[name] = value;
  }
  // RFC 7638 §3.3: no whitespace, members in order; the values are base64url or names, which
  // JSON.stringify writes without escapes.
  return hash('sha256', JSON.stringify(canonical), 'base64url');
}
