import { createPrivateKey, createPublicKey } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { generateSigningKey, startTestIssuer } from '../src/testing/index.js';
import { pooledRsaJwk } from '../src/testing/rsa-pool.js';
import { TEST_RSA_PRIMES } from '../src/testing/rsa-primes.js';

/** The modulus of a public RSA JWK as a number. */
const modulus = (n: unknown) => BigInt(`0x${Buffer.from(String(n), 'base64url').toString('hex')}`);

/**
 * The test issuers' RSA keys come from pooled primes (no prime search per key): each is a valid
 * 2,048-bit key (RFC 8017 §3.1, as the API requires of RSA keys), none repeats in the process,
 * and a token signed with one verifies with its own public key alone.
 */
describe('RSA keys of the test issuers', () => {
  test('are valid 2,048-bit keys whose private parts agree with the public ones', () => {
    const jwk = pooledRsaJwk();
    expect(jwk).toBeDefined();
    const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(createPublicKey(key).export({ format: 'jwk' })).toEqual({
      kty: 'RSA',
      n: jwk?.n,
      e: jwk?.e,
    });
    const [p, q] = [modulus(jwk?.p), modulus(jwk?.q)];
    expect(p * q).toBe(modulus(jwk?.n));
    expect(TEST_RSA_PRIMES).toContain(p.toString(16));
  });

  test('never repeat in a process, and each verifies only its own signatures', async () => {
    const keys = await Promise.all(
      Array.from({ length: 12 }, (_, i) => generateSigningKey(i % 3 === 0 ? 'PS256' : 'RS256')),
    );
    expect(new Set(keys.map((k) => k.publicJwk.n)).size).toBe(keys.length);
    for (const [i, key] of keys.entries()) {
      expect(modulus(key.publicJwk.n).toString(2)).toHaveLength(2048);
      const token = await new SignJWT({ i })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .sign(key.privateKey);
      const own = await importJWK(key.publicJwk, key.alg);
      expect((await jwtVerify(token, own)).payload.i).toBe(i);
      const other = keys[(i + 1) % keys.length];
      if (other === undefined || other.alg !== key.alg) continue;
      await expect(jwtVerify(token, await importJWK(other.publicJwk, key.alg))).rejects.toThrow(
        /signature verification failed/,
      );
    }
  });

  test('serve a test issuer whose tokens verify against its JWKS', async () => {
    const issuer = await startTestIssuer();
    try {
      const { keys } = (await (await fetch(issuer.jwksUri)).json()) as {
        keys: Record<string, string>[];
      };
      expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
      expect(modulus(keys[0]?.n).toString(2)).toHaveLength(2048);
    } finally {
      await issuer.close();
    }
  });
});
