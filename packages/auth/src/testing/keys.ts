import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { pooledRsaJwk } from './rsa-pool.js';

/** Algorithms the test issuer signs with. */
export type TestAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** A signing key pair with its public JWK. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: TestAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * Generates a signing key (RSA 2048, P-256 or Ed25519). Pass `kid` to build a key that
 * impersonates another one's `kid` (e.g. "a second key set with the same kid"). An RSA key is
 * one no earlier call in this process returned, made from pooled primes while any pair is left
 * (see `rsa-pool.ts`), else generated.
 */
export async function generateSigningKey(
  alg: TestAlgorithm = 'RS256',
  kid: string = randomUUID(),
): Promise<SigningKey> {
  const pooled = alg === 'RS256' || alg === 'PS256' ? pooledRsaJwk() : undefined;
  if (pooled !== undefined) {
    const privateKey = (await importJWK(pooled, alg, { extractable: true })) as CryptoKey;
    const publicJwk = { kty: 'RSA', n: pooled.n, e: pooled.e, kid, alg, use: 'sig' };
    return Object.freeze({ kid, alg, privateKey, publicJwk: Object.freeze(publicJwk) });
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return Object.freeze({ kid, alg, privateKey, publicJwk: Object.freeze(publicJwk) });
}
