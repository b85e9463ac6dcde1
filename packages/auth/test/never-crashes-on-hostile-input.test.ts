import { generateKeyPairSync, sign } from 'node:crypto';
import { createAuthenticator, isAuthError } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { b64, expectAuthFailure } from './support.js';

describe('hostile input', () => {
  let idp: TestIssuer;
  let auth: ReturnType<typeof createAuthenticator>;
  let valid: string;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
    auth = createAuthenticator({ issuers: [idp.issuerOptions()], cache: { maxEntries: 0 } });
    valid = await idp.accessToken(alice);
    await auth.authenticate(valid);
  });
  afterAll(() => idp.close());

  /**
   * Every outcome is a principal for the untouched token, or an AuthError with a 4xx code, or
   * (the provider is up, so never an outage) the 503 of a changed `kid` while the keys may not
   * be refetched, saying when they may (at most the 30 s cooldown).
   */
  async function outcome(token: string): Promise<'accepted' | string> {
    try {
      await auth.authenticate(token);
      return 'accepted';
    } catch (e) {
      if (!isAuthError(e)) throw e;
      if (e.status === 503) {
        expect(e.retryAfterSec).toBeGreaterThanOrEqual(1);
        expect(e.retryAfterSec).toBeLessThanOrEqual(30);
      }
      return e.code;
    }
  }

  test('any single-character change to a valid token is rejected with an AuthError', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.constantFrom(...alphabet),
        async (index, ch) => {
          const mutated = valid.slice(0, index) + ch + valid.slice(index + 1);
          const result = await outcome(mutated);
          // A change in the last base64url character may only touch padding bits and keep the
          // same bytes; then the token is, cryptographically, the same token.
          if (result === 'accepted') {
            expect(Buffer.from(mutated.split('.')[2] ?? '', 'base64url')).toEqual(
              Buffer.from(valid.split('.')[2] ?? '', 'base64url'),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('truncated and spliced tokens are rejected with an AuthError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 2 }),
        fc.nat({ max: valid.length - 1 }),
        async (a, b) => {
          const result = await outcome(valid.slice(0, a) + valid.slice(b));
          if (a < b) expect(result).not.toBe('accepted');
        },
      ),
      { numRuns: 200 },
    );
  });

  test('arbitrary strings are rejected with an AuthError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (s) => {
        expect(await outcome(s)).not.toBe('accepted');
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary JSON headers and payloads with the real signature are rejected', async () => {
    const [, , sig] = valid.split('.');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (header, payload) => {
        expect(await outcome(`${b64(header)}.${b64(payload)}.${sig}`)).not.toBe('accepted');
      }),
      { numRuns: 200 },
    );
  });

  test('rejects an RSA key shorter than 2048 bits with 401 alg_not_allowed (RFC 7518 §3.3)', async () => {
    const rsa = await startTestIssuer({ profile: 'keycloak', algorithm: 'RS256' });
    try {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      rsa.publishJwk({
        ...weak.publicKey.export({ format: 'jwk' }),
        kid: 'weak',
        alg: 'RS256',
        use: 'sig',
      });
      const claims = JSON.parse(
        Buffer.from((await rsa.accessToken(alice)).split('.')[1] as string, 'base64url').toString(),
      );
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'weak' })}.${b64(claims)}`;
      const token = `${input}.${sign('sha256', Buffer.from(input), weak.privateKey).toString('base64url')}`;
      const strong = createAuthenticator({ issuers: [rsa.issuerOptions()] });
      await expectAuthFailure(strong.authenticate(token), 'alg_not_allowed', 401);
    } finally {
      await rsa.close();
    }
  });

  test('a cached principal cannot be changed by one request for the next', async () => {
    const cached = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const p = await cached.authenticate(valid);
    expect(() => {
      (p.roles as string[]).push('admin');
    }).toThrow(TypeError);
    expect(() => {
      (p.claims.realm_access as { roles: string[] }).roles.push('admin');
    }).toThrow(TypeError);
    expect((await cached.authenticate(valid)).roles).toEqual(['user']);
  });
});
