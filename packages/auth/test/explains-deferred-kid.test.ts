import { createAuthenticator, resolveIssuer } from '@todo-sso/auth';
import { explainRefusal } from '@todo-sso/auth/diagnose';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

const part = (token: string, i: number) =>
  JSON.parse(Buffer.from(token.split('.')[i] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >;

/**
 * The finding for a token the API answers 503 `key_refetch_deferred` (a key rotated in while a
 * flood of made-up `kid`s keeps the refetch gate closed) tells to wait the `Retry-After`, never
 * to sign in again: the token is good, and a new one would be refused the same way.
 */
describe('explaining a token whose key may not be fetched yet', () => {
  let clock: ReturnType<typeof frozenClock>;
  let idp: TestIssuer;
  beforeEach(async () => {
    clock = frozenClock();
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterEach(() => idp.close());

  test('advises waiting Retry-After seconds (the provider rotated keys, or unknown kids flood the API), not signing in again', async () => {
    const options = idp.issuerOptions();
    const auth = createAuthenticator({
      issuers: [options],
      now: clock.now,
      jwksCooldownSec: 30,
      cache: { maxEntries: 0 },
    });
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(1);
    // A made-up kid on claims that pass: its fruitless refetch closes the gate for 30 s.
    const stranger = await generateSigningKey('RS256', 'made-up');
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { key: stranger })),
      'key_unknown',
    );
    clock.advance(5);
    await idp.rotateKeys();
    const fresh = await idp.accessToken(alice);
    const error = await expectAuthFailure(auth.authenticate(fresh), 'key_refetch_deferred', 503);
    expect(error.retryAfterSec).toBe(25);

    const issuer = resolveIssuer(options);
    const decoded = { header: part(fresh, 0), payload: part(fresh, 1) };
    const [finding] = explainRefusal(error, decoded, issuer, [issuer], clock.now() / 1000);
    expect(finding).toMatchObject({
      code: 'key_refetch_deferred',
      apiCode: 'key_refetch_deferred',
      issuer: idp.issuer,
      received: `kid ${decoded.header.kid}`,
    });
    expect(finding?.summary).toContain('Try again after 25 s (Retry-After)');
    for (const fix of [finding?.fix.keycloak, finding?.fix.authentik]) {
      expect(fix).toContain('send the same token after 25 s (Retry-After)');
      expect(fix).toContain('no need to sign in again');
      expect(fix).not.toMatch(/^Sign in again/);
    }
    auth.close();
  });
});
