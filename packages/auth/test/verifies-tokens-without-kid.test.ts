import { createAuthenticator } from '@todo-sso/auth';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * RFC 7515 §4.1.4: `kid` is OPTIONAL, a hint. A token without one is verified with each key of
 * its issuer's set that fits its `alg`, as several keys sharing one `kid` are (RFC 7517 §4.5):
 * an issuer that signs without `kid` keeps working while it publishes two keys (a rotation).
 */
describe.each(['node', 'jose'] as const)(
  'tokens without kid, two published keys (%s signature verifier)',
  (signatureVerifier) => {
    let idp: TestIssuer;
    let auth: ReturnType<typeof createAuthenticator>;
    const withoutKid = { header: { kid: undefined } };
    beforeAll(async () => {
      idp = await startTestIssuer({ profile: 'generic' });
      await idp.rotateKeys(); // the previous key stays published
      expect(idp.publishedKids()).toHaveLength(2);
      auth = createAuthenticator({ issuers: [idp.issuerOptions()], signatureVerifier });
    });
    afterAll(() => idp.close());

    test('accepts one signed by either key, again and again, at one key set fetch', async () => {
      const previous = await generateSigningKey('RS256');
      idp.publishJwk(previous.publicJwk);
      for (let i = 0; i < 3; i++) {
        const current = await idp.accessToken(alice, withoutKid);
        expect(
          JSON.parse(Buffer.from(current.split('.')[0] as string, 'base64url').toString()),
        ).not.toHaveProperty('kid');
        await expect(auth.authenticate(current)).resolves.toMatchObject({ subject: alice.sub });
        const other = await idp.accessToken(alice, { ...withoutKid, key: previous });
        await expect(auth.authenticate(other)).resolves.toMatchObject({ subject: alice.sub });
      }
      expect(idp.counters.jwks).toBe(1);
    });

    test('refuses one signed by a key not in the set with 401 signature_invalid, never 503', async () => {
      const stranger = await generateSigningKey('RS256');
      for (let i = 0; i < 2; i++) {
        const forged = await idp.accessToken(alice, { ...withoutKid, key: stranger });
        await expectAuthFailure(auth.authenticate(forged), 'signature_invalid', 401);
      }
    });
  },
);

/**
 * A token without `kid` that no held key verifies may be signed by a key the issuer published
 * since the set was fetched (a rotation): the set is fetched again, as for an unknown `kid`, at
 * most once per cooldown when it brings nothing new (OpenID Connect Core §10.1.1).
 */
describe.each(['node', 'jose'] as const)(
  'tokens without kid, the issuer rotated to a key not yet fetched (%s signature verifier)',
  (signatureVerifier) => {
    let idp: TestIssuer;
    let auth: ReturnType<typeof createAuthenticator>;
    const withoutKid = { header: { kid: undefined } };
    beforeAll(async () => {
      idp = await startTestIssuer({ profile: 'generic' });
      auth = createAuthenticator({ issuers: [idp.issuerOptions()], signatureVerifier });
    });
    afterAll(() => idp.close());

    test('accepts one signed by the new key at one refetch, then without any', async () => {
      await expect(
        auth.authenticate(await idp.accessToken(alice, withoutKid)),
      ).resolves.toMatchObject({ subject: alice.sub });
      expect(idp.counters.jwks).toBe(1);
      // The issuer retires its key and signs with a new one at once; the API's keys are fresh.
      await idp.rotateKeys({ retirePrevious: true });
      for (let i = 0; i < 3; i++) {
        const token = await idp.accessToken(alice, {
          ...withoutKid,
          claims: { jti: `rotated-${i}` },
        });
        await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
      }
      expect(idp.counters.jwks).toBe(2);
    });

    test('refuses one of a stranger key with 401 at one refetch per cooldown', async () => {
      const before = idp.counters.jwks;
      const stranger = await generateSigningKey('RS256');
      for (let i = 0; i < 3; i++) {
        const forged = await idp.accessToken(alice, {
          ...withoutKid,
          key: stranger,
          claims: { jti: `forged-${i}` },
        });
        await expectAuthFailure(auth.authenticate(forged), 'signature_invalid', 401);
      }
      expect(idp.counters.jwks).toBe(before + 1);
    });

    test('answers 503 idp_unavailable, not 401, when the keys cannot be fetched again', async () => {
      const outage = createAuthenticator({
        issuers: [idp.issuerOptions()],
        signatureVerifier,
        jwksCooldownSec: 0,
      });
      await outage.authenticate(await idp.accessToken(alice, withoutKid));
      const next = await idp.rotateKeys({ retirePrevious: true });
      idp.setFault('down', { endpoints: ['jwks'] });
      try {
        const token = await idp.accessToken(alice, { ...withoutKid, key: next });
        await expectAuthFailure(outage.authenticate(token), 'idp_unavailable', 503);
      } finally {
        idp.setFault(undefined);
      }
    });
  },
);

/**
 * A refetch that began at or after a token's arrival is as new as that token can ask for: the
 * load its own arrival made once the keys' TTL was over is one, so a token without `kid` that no
 * key of that set verifies is refused without a second fetch of the same set (which, finding
 * nothing new, would also have closed the refetch gate for a cooldown), as one naming an
 * unknown `kid` is.
 */
describe.each(['node', 'jose'] as const)(
  'a token without kid no key verifies, past the keys TTL (%s signature verifier)',
  (signatureVerifier) => {
    test('is refused 401 at the one fetch the TTL asked for', async () => {
      const idp = await startTestIssuer({ profile: 'generic' });
      try {
        let offset = 0;
        const now = () => Date.now() + offset;
        const auth = createAuthenticator({
          issuers: [idp.issuerOptions()],
          signatureVerifier,
          jwksTtlSec: 60,
          now,
        });
        await auth.authenticate(await idp.accessToken(alice, { header: { kid: undefined } }));
        expect(idp.counters.jwks).toBe(1);
        offset = 61_000;
        const iat = Math.floor(now() / 1000);
        const forged = await idp.accessToken(alice, {
          header: { kid: undefined },
          key: await generateSigningKey('RS256'),
          claims: { iat, exp: iat + 300 },
        });
        await expectAuthFailure(auth.authenticate(forged), 'signature_invalid', 401);
        expect(idp.counters.jwks).toBe(2);
      } finally {
        await idp.close();
      }
    });
  },
);
