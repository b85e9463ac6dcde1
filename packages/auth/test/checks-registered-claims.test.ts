import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

describe('registered claims', () => {
  const clock = frozenClock();
  let idp: TestIssuer;
  let auth: ReturnType<typeof createAuthenticator>;
  const nowSec = () => Math.floor(clock.now() / 1000);
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  beforeEach(() => {
    auth = createAuthenticator({
      issuers: [idp.issuerOptions({ clockToleranceSec: 30 })],
      now: clock.now,
    });
  });
  afterAll(() => idp.close());

  test('rejects an expired token with 401 token_expired', async () => {
    const token = await idp.accessToken(alice, { issuedAt: nowSec() - 400, expiresInSec: 300 });
    await expectAuthFailure(auth.authenticate(token), 'token_expired', 401);
  });

  test('accepts a token expired within the clock tolerance', async () => {
    const token = await idp.accessToken(alice, { issuedAt: nowSec() - 310, expiresInSec: 300 });
    await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
  });

  test('rejects a not-yet-valid token (nbf) with 401 token_not_yet_valid', async () => {
    const token = await idp.accessToken(alice, { claims: { nbf: nowSec() + 120 } });
    await expectAuthFailure(auth.authenticate(token), 'token_not_yet_valid', 401);
  });

  test('rejects a token issued in the future (iat) with 401 token_not_yet_valid', async () => {
    const token = await idp.accessToken(alice, { issuedAt: nowSec() + 120 });
    await expectAuthFailure(auth.authenticate(token), 'token_not_yet_valid', 401);
  });

  test('rejects a token without exp with 401 token_malformed', async () => {
    const token = await idp.accessToken(alice, { claims: { exp: undefined } });
    await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
  });

  test('rejects a token without sub with 401 token_malformed', async () => {
    const token = await idp.accessToken(alice, { claims: { sub: undefined } });
    await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
  });

  test('rejects a token whose azp and client_id name different clients with 401 token_malformed', async () => {
    const token = await idp.accessToken(alice, {
      claims: { azp: 'todo-ui', client_id: 'planner-agent' },
    });
    await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
    const same = await idp.accessToken(alice, { claims: { azp: 'todo-ui', client_id: 'todo-ui' } });
    await expect(auth.authenticate(same)).resolves.toMatchObject({ clientId: 'todo-ui' });
  });

  test('rejects an unknown iss with 401 issuer_unknown before any network call', async () => {
    const token = await idp.accessToken(alice, {
      claims: { iss: 'https://evil.example/realms/todo-app' },
    });
    idp.resetCounters();
    await expectAuthFailure(auth.authenticate(token), 'issuer_unknown', 401);
    expect(idp.counters).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
  });

  test('rejects an iss differing only by a trailing slash with 401 issuer_unknown (exact match)', async () => {
    const token = await idp.accessToken(alice, { claims: { iss: `${idp.issuer}/` } });
    await expectAuthFailure(auth.authenticate(token), 'issuer_unknown', 401);
  });

  test('rejects a wrong audience with 401 audience_mismatch', async () => {
    const token = await idp.accessToken(alice, { claims: { aud: ['other-api'] } });
    await expectAuthFailure(auth.authenticate(token), 'audience_mismatch', 401);
  });

  test('rejects Keycloak\'s default aud "account" without the API audience with 401 audience_mismatch', async () => {
    const token = await idp.accessToken(alice, { claims: { aud: 'account' } });
    await expectAuthFailure(auth.authenticate(token), 'audience_mismatch', 401);
  });

  test('accepts any one of several configured audiences', async () => {
    const multi = createAuthenticator({
      issuers: [idp.issuerOptions({ audience: ['reports-api', 'todo-api'] })],
      now: clock.now,
    });
    await expect(multi.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
  });
});
