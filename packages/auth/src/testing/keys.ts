import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

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
 * impersonates another one's `kid` (e.g. "a second key set with the same kid").
 */
export async function generateSigningKey(
  alg: TestAlgorithm = 'RS256',
  kid: string = randomUUID(),
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return Object.freeze({ kid, alg, privateKey, publicJwk: Object.freeze(publicJwk) });
}
