import type { JWK } from 'jose';
import { TEST_RSA_PRIMES } from './rsa-primes.js';

/** The public exponent every RSA key here has (RFC 8017 §3.1). */
const E = 65_537n;
const primes = TEST_RSA_PRIMES.map((hex) => BigInt(`0x${hex}`));

/** The next pair of pooled primes, `i < j`: each pair gives one key, once per process. */
let next = { i: 0, j: 1 };

/** `a`⁻¹ modulo `m` (extended Euclidean algorithm); `a` and `m` are coprime. */
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

/** An unsigned integer as base64url of its big-endian bytes (RFC 7518 §2, Base64urlUInt). */
function base64urlUInt(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url');
}

/**
 * A private RSA JWK (RFC 7518 §6.3.2) of 2,048 bits that no earlier call in this process
 * returned, made from two of {@link TEST_RSA_PRIMES} in a few milliseconds instead of the
 * ~0.2 s of CPU a prime search costs; `undefined` once every pair has been used.
 */
export function pooledRsaJwk(): JWK | undefined {
  const { i, j } = next;
  const p = primes[i];
  const q = primes[j];
  if (p === undefined || q === undefined) return undefined;
  next = j + 1 < primes.length ? { i, j: j + 1 } : { i: i + 1, j: i + 2 };
  const d = inverse(E, (p - 1n) * (q - 1n));
  return {
    kty: 'RSA',
    n: base64urlUInt(p * q),
    e: base64urlUInt(E),
    d: base64urlUInt(d),
    p: base64urlUInt(p),
    q: base64urlUInt(q),
    dp: base64urlUInt(d % (p - 1n)),
    dq: base64urlUInt(d % (q - 1n)),
    qi: base64urlUInt(inverse(q, p)),
  };
}
