import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { createAuthenticator } from '@todo-sso/auth';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { b64, expectAuthFailure, frozenClock } from './support.js';

describe.each(['node', 'jose'] as const)(
  'forged and malformed tokens (%s signature verifier)',
  (signatureVerifier) => {
    const clock = frozenClock();
    let idp: TestIssuer;
    let auth: ReturnType<typeof createAuthenticator>;
    beforeAll(async () => {
      idp = await startTestIssuer({ profile: 'keycloak', now: clock.now });
    });
    beforeEach(() => {
      auth = createAuthenticator({
        issuers: [idp.issuerOptions()],
        now: clock.now,
        signatureVerifier,
      });
    });
    afterAll(() => idp.close());

    async function claimsOf(token: string) {
      return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    }

    test('rejects alg "none" with 401 alg_not_allowed and no signature check', async () => {
      const claims = await claimsOf(await idp.accessToken(alice));
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      await expectAuthFailure(auth.authenticate(unsigned), 'alg_not_allowed', 401);
      expect(idp.counters.jwks).toBe(0);
    });

    test('names a made-up alg in the refusal only shortened, as every untrusted value', async () => {
      const claims = await claimsOf(await idp.accessToken(alice));
      const alg = `X${'A'.repeat(8000)}`;
      const forged = `${b64({ alg, typ: 'JWT', kid: idp.currentKid })}.${b64(claims)}.c2ln`;
      const error = await auth.authenticate(forged).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'alg_not_allowed', status: 401 });
      const { description } = error as { description: string };
      expect(description).toMatch(/^The algorithm XA+… is not allowed$/);
      expect(description.length).toBeLessThan(120);
    });

    test('rejects HS256 signed with the RSA public key (key confusion) with 401 alg_not_allowed', async () => {
      const claims = await claimsOf(await idp.accessToken(alice));
      const res = await fetch(idp.jwksUri);
      const publicJwk = ((await res.json()) as { keys: JsonWebKey[] }).keys[0] as JsonWebKey;
      const pem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: idp.currentKid })}.${b64(claims)}`;
      for (const secret of [pem, JSON.stringify(publicJwk)]) {
        const mac = createHmac('sha256', secret).update(input).digest('base64url');
        await expectAuthFailure(auth.authenticate(`${input}.${mac}`), 'alg_not_allowed', 401);
      }
    });

    test('rejects an allowed alg the key was not made for (ES256 header on an RSA kid) with 401 alg_not_allowed', async () => {
      const ec = await generateSigningKey('ES256', idp.currentKid);
      const token = await idp.accessToken(alice, { key: ec });
      await expectAuthFailure(auth.authenticate(token), 'alg_not_allowed', 401);
    });

    test('ignores jku, x5u and an embedded jwk naming the attacker key: 401 signature_invalid', async () => {
      const attacker = await generateSigningKey('RS256', idp.currentKid);
      const token = await idp.accessToken(alice, {
        key: attacker,
        header: {
          jku: 'http://127.0.0.1:1/jwks',
          x5u: 'http://127.0.0.1:1/cert',
          jwk: attacker.publicJwk,
        },
      });
      await expectAuthFailure(auth.authenticate(token), 'signature_invalid', 401);
    });

    test('rejects an unknown kid with 401 key_unknown', async () => {
      const stranger = await generateSigningKey('RS256');
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice, { key: stranger })),
        'key_unknown',
        401,
      );
    });

    test('accepts a token of either key when two published keys share its kid, and no other', async () => {
      // RFC 7517 §4.5 makes distinct kids a SHOULD: the kid is a hint, each key it names is tried.
      const twin = await generateSigningKey('RS256', idp.currentKid);
      idp.publishJwk(twin.publicJwk);
      await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toBeDefined();
      await expect(
        auth.authenticate(await idp.accessToken(alice, { key: twin })),
      ).resolves.toMatchObject({ subject: alice.sub });
      const stranger = await generateSigningKey('RS256', idp.currentKid);
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice, { key: stranger })),
        'signature_invalid',
        401,
      );
    });

    test('rejects a token with critical header extensions with 401 token_malformed', async () => {
      // jose refuses to sign unknown critical extensions, so this one is signed by hand.
      const key = await generateSigningKey('RS256');
      idp.publishJwk(key.publicJwk);
      const claims = await claimsOf(await idp.accessToken(alice));
      const input = `${b64({ alg: 'RS256', kid: key.kid, crit: ['urn:example:must'], 'urn:example:must': 1 })}.${b64(claims)}`;
      const sig = await crypto.subtle.sign(
        'RSASSA-PKCS1-v1_5',
        key.privateKey,
        new TextEncoder().encode(input),
      );
      const token = `${input}.${Buffer.from(sig).toString('base64url')}`;
      await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
    });

    test('rejects an oversized token with 401 token_malformed before any network call', async () => {
      const big = await idp.accessToken(alice, { claims: { padding: 'x'.repeat(20_000) } });
      idp.resetCounters();
      await expectAuthFailure(auth.authenticate(big), 'token_malformed', 401);
      expect(idp.counters.discovery + idp.counters.jwks).toBe(0);
    });

    test.each([
      ['non-base64url characters', 'eyJhbGciOiJSUzI1NiJ9.e30*.c2ln'],
      ['two segments', 'eyJhbGciOiJSUzI1NiJ9.e30'],
      ['a JWE (five segments)', 'a.b.c.d.e'],
      ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.c2ln`],
      ['a payload that is a JSON array', `${b64({ alg: 'RS256' })}.${b64([1])}.c2ln`],
      ['a whitespace-padded token', ' eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
    ])('rejects %s with 401 token_malformed', async (_name, token) => {
      await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
    });

    test('rejects no token with 401 token_missing and a bare challenge', async () => {
      await expectAuthFailure(auth.authenticate(undefined), 'token_missing', 401);
      await expectAuthFailure(auth.authenticate(''), 'token_missing', 401);
    });
  },
);
