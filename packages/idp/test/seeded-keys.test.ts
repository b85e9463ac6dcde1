import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeJwt, passwordGrant, seededDataDir, startTestIdp } from './helpers.js';

/**
 * The suites' IdPs start on a data directory whose key file the tests wrote (pooled RSA keys,
 * no key generation at start): the IdP signs with that key and publishes it, as it does with the
 * key file it wrote itself on an earlier start.
 */
describe('an IdP started on seeded keys', () => {
  it('signs with the seeded 2,048-bit key and publishes the seeded keys in its JWKS', async () => {
    const dataDir = seededDataDir();
    const seeded = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as {
      signing: { jwk: { kid: string; n: string } }[];
      encryption: { kid: string; n: string };
    };
    const [signing] = seeded.signing;
    expect(Buffer.from(signing?.jwk.n ?? '', 'base64url')).toHaveLength(256);
    expect(seeded.encryption.n).not.toBe(signing?.jwk.n);
    const idp = await startTestIdp({ dataDir });
    try {
      const jwks = (await (await fetch(idp.discovery.jwks_uri as string)).json()) as {
        keys: { kid: string; n: string }[];
      };
      expect(jwks.keys.map((k) => [k.kid, k.n])).toEqual([
        [signing?.jwk.kid, signing?.jwk.n],
        [seeded.encryption.kid, seeded.encryption.n],
      ]);
      const { status, body } = await passwordGrant(idp, 'alice');
      expect(status).toBe(200);
      const token = body.access_token as string;
      expect(decodeJwt(token).header.kid).toBe(signing?.jwk.kid);
      const remote = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
      await expect(jwtVerify(token, remote)).resolves.toBeDefined();
    } finally {
      await idp.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
