import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

/**
 * An introspection endpoint (RFC 7662) that stops answering in time: each token is refused with
 * 503 `idp_unavailable` once the API's own deadline passes (fail closed: never a pass, never a
 * 401 that would make a client drop a good token, never a 500), nothing of the failed call is
 * kept, and tokens are served again as soon as the endpoint answers.
 */
describe('an introspection endpoint that does not answer in time', () => {
  let clock: ReturnType<typeof frozenClock>;
  let idp: TestIssuer;
  beforeEach(async () => {
    clock = frozenClock();
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterEach(() => idp.close());

  test('refuses with 503 idp_unavailable at the deadline, then serves again', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect' })],
      now: clock.now,
      cache: { introspectionTtlSec: 10, negativeTtlSec: 5 },
      httpTimeoutMs: 300,
    });
    idp.setFault('slow', { delayMs: 3_000, endpoints: ['introspection'] });
    const token = await idp.accessToken(alice);
    const refused = await expectAuthFailure(auth.authenticate(token), 'idp_unavailable', 503);
    expect(refused.description).toBe('The token introspection endpoint is unavailable');
    idp.setFault(undefined);
    // Nothing of the failed call was cached: the next request asks again and is served.
    const principal = await auth.authenticate(token);
    expect(principal.subject).toBe(alice.sub);
  });
});
