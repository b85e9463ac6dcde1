import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthEvent, createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

describe('RFC 7662 introspection', () => {
  let clock: ReturnType<typeof frozenClock>;
  let idp: TestIssuer;
  let events: AuthEvent[];
  const make = (overrides = {}, cache = { introspectionTtlSec: 10, negativeTtlSec: 5 }) =>
    createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect', ...overrides })],
      now: clock.now,
      cache,
      httpTimeoutMs: 500,
      onEvent: (e) => events.push(e),
    });
  beforeEach(async () => {
    clock = frozenClock();
    events = [];
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterEach(() => idp.close());

  test('accepts an active token and maps the answer to a principal, without fetching keys', async () => {
    const auth = make();
    const principal = await auth.authenticate(await idp.accessToken(alice));
    expect(principal).toMatchObject({
      subject: alice.sub,
      roles: ['user'],
      permissions: ['todos:read', 'todos:write'],
    });
    expect(idp.counters).toMatchObject({ introspection: 1, jwks: 0 });
  });

  test('accepts an active opaque token', async () => {
    const auth = make();
    await expect(auth.authenticate(await idp.opaqueToken(alice))).resolves.toMatchObject({
      username: 'alice',
    });
  });

  test('rejects an inactive (revoked) token with 401 token_inactive and caches the answer briefly', async () => {
    const auth = make();
    const token = await idp.accessToken(alice);
    idp.revoke(token);
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
    expect(idp.counters.introspection).toBe(1);
    clock.advance(6);
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
    expect(idp.counters.introspection).toBe(2);
  });

  test('caches an active answer for the TTL, then asks again and sees the revocation', async () => {
    const auth = make();
    const token = await idp.accessToken(alice);
    await auth.authenticate(token);
    await auth.authenticate(token);
    expect(idp.counters.introspection).toBe(1);
    expect(events.filter((e) => e.type === 'introspection' && e.cached)).toHaveLength(1);
    idp.revoke(token);
    clock.advance(11);
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
  });

  test('never keeps an active answer past the token exp', async () => {
    const auth = make({}, { introspectionTtlSec: 600, negativeTtlSec: 5 });
    const token = await idp.accessToken(alice, { expiresInSec: 20 });
    await auth.authenticate(token);
    clock.advance(21 + 30);
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
    expect(idp.counters.introspection).toBe(2);
  });

  test.each(['down', 'reset', 'garbage'] as const)(
    'answers 503 idp_unavailable when the introspection endpoint is %s, and does not cache it',
    async (fault) => {
      const auth = make();
      await auth.ready();
      idp.setFault(fault, { endpoints: ['introspection'] });
      const token = await idp.accessToken(alice);
      await expectAuthFailure(auth.authenticate(token), 'idp_unavailable', 503);
      idp.setFault(undefined);
      await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    },
  );

  test('answers 503 idp_unavailable saying the client credentials are refused, and is not ready until they are accepted', async () => {
    const auth = make({ clientSecret: 'wrong' });
    const refused = await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(refused.description).toBe(
      "The identity provider refuses the API's client credentials for token introspection, so no token can be verified",
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'introspection', ok: false, clientRefused: true }),
    );
    expect(auth.status()[0]).toMatchObject({ usable: false, clientRefusedSince: clock.now() });
    // Readiness reuses the last answer: no call to the provider within the cooldown.
    const asked = idp.counters.introspection;
    expect(await auth.ready()).toBe(false);
    expect(idp.counters.introspection).toBe(asked);
    // Past it, one call asks again (still refused), so an idle replica can recover.
    clock.advance(31);
    expect(await auth.ready()).toBe(false);
    expect(idp.counters.introspection).toBe(asked + 1);
    // An outage is not a refusal: the same request against an endpoint that is down says so.
    const right = make();
    idp.setFault('down', { endpoints: ['introspection'] });
    const down = await expectAuthFailure(
      right.authenticate(await idp.accessToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(down.description).toBe('The token introspection endpoint is unavailable');
    expect(right.status()[0]).not.toHaveProperty('clientRefusedSince');
  });

  test('is not ready with refused client credentials before any token, asking the provider once per cooldown', async () => {
    const wrong = make({ clientSecret: 'wrong' });
    expect(await wrong.ready()).toBe(false);
    expect(idp.counters.introspection).toBe(1);
    expect(wrong.status()[0]).toMatchObject({ usable: false, clientRefusedSince: clock.now() });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'introspection', ok: false, clientRefused: true }),
    );
    expect(await wrong.ready()).toBe(false);
    expect(idp.counters.introspection).toBe(1);
    const right = make();
    expect(await right.ready()).toBe(true);
    expect(idp.counters.introspection).toBe(2);
    expect(right.status()[0]).toMatchObject({ usable: true });
    expect(right.status()[0]).not.toHaveProperty('clientRefusedSince');
    // An accepted client is asked about again only once a cooldown has passed without an answer.
    expect(await right.ready()).toBe(true);
    expect(idp.counters.introspection).toBe(2);
    clock.advance(31);
    expect(await right.ready()).toBe(true);
    expect(idp.counters.introspection).toBe(3);
  });

  test('after a refusal of its client, refuses requests for a cooldown without asking the provider, then recovers', async () => {
    // Until `accepting`, the provider refuses the secret the API sends; then it accepts it, as
    // when the client's secret is set right at the provider.
    let accepting = false;
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect', clientSecret: 'wrong' })],
      now: clock.now,
      httpTimeoutMs: 500,
      onEvent: (e) => events.push(e),
      fetch: (input, init) => {
        if (!accepting || !String(input).includes('introspect')) return fetch(input, init);
        const basic = Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString('base64');
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Basic ${basic}`);
        return fetch(input, { ...init, headers });
      },
    });
    const tokens = await Promise.all([1, 2, 3, 4].map(() => idp.accessToken(alice)));
    for (const token of tokens) {
      const refused = await expectAuthFailure(auth.authenticate(token), 'idp_unavailable', 503);
      expect(refused.description).toMatch(/^The identity provider refuses the API's client/);
    }
    expect(idp.counters.introspection).toBe(1);
    expect(events.filter((e) => e.type === 'introspection' && e.cached)).toHaveLength(3);
    // The provider now accepts the API's client: within the cooldown still refused unasked.
    accepting = true;
    clock.advance(29);
    await expectAuthFailure(auth.authenticate(tokens[0] as string), 'idp_unavailable', 503);
    expect(idp.counters.introspection).toBe(1);
    clock.advance(2);
    await expect(auth.authenticate(tokens[0] as string)).resolves.toMatchObject({
      subject: alice.sub,
    });
    await expect(auth.authenticate(tokens[1] as string)).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(idp.counters.introspection).toBe(3);
    expect(auth.status()[0]).not.toHaveProperty('clientRefusedSince');
  });

  test('rejects an active refresh token with 401 token_type_invalid', async () => {
    const auth = make();
    await expectAuthFailure(
      auth.authenticate(await idp.refreshToken(alice)),
      'token_type_invalid',
      401,
    );
  });

  test('rejects an active token for another audience with 401 audience_mismatch', async () => {
    const auth = make();
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { claims: { aud: 'account' } })),
      'audience_mismatch',
      401,
    );
  });

  test('rejects an active answer with no aud with 401 audience_mismatch', async () => {
    const auth = make();
    await expectAuthFailure(
      auth.authenticate(await idp.opaqueToken(alice, { claims: { aud: undefined } })),
      'audience_mismatch',
      401,
    );
  });

  test.each(['refresh_token', 'Refresh_Token', 'id_token', 'DPoP'])(
    'rejects an active answer with token_type %s with 401 token_type_invalid',
    async (tokenType) => {
      const auth = make();
      const token = await idp.opaqueToken(alice, { claims: { token_type: tokenType } });
      await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
    },
  );

  test.each(['bearer', 'Bearer', 'access_token'])(
    'accepts an active answer with token_type %s',
    async (tokenType) => {
      const auth = make();
      const token = await idp.opaqueToken(alice, { claims: { token_type: tokenType } });
      await expect(auth.authenticate(token)).resolves.toMatchObject({ subject: alice.sub });
    },
  );

  test('rejects an active answer whose nbf lies ahead beyond the leeway (RFC 7662 §2.2), as a JWT would be', async () => {
    const auth = make();
    const nowSec = Math.floor(clock.now() / 1000);
    const later = await idp.opaqueToken(alice, { claims: { nbf: nowSec + 600 } });
    await expectAuthFailure(auth.authenticate(later), 'token_not_yet_valid', 401);
    const soon = await idp.opaqueToken(alice, { claims: { nbf: nowSec + 5 } });
    await expect(auth.authenticate(soon)).resolves.toMatchObject({ subject: alice.sub });
  });

  // RFC 7519 §4.1.6, RFC 8725 §3.10: a revocation refuses the tokens issued up to it (`iat`), so
  // an answer dated ahead of this server's clock beyond the leeway would escape every revocation
  // made meanwhile (an ended session's tokens issued just before it): refused, as a JWT is.
  test('rejects an active answer whose iat lies ahead beyond the leeway or is not a NumericDate, as a JWT would be', async () => {
    const auth = make();
    const nowSec = Math.floor(clock.now() / 1000);
    const ahead = await idp.opaqueToken(alice, { claims: { iat: nowSec + 600 } });
    await expectAuthFailure(auth.authenticate(ahead), 'token_not_yet_valid', 401);
    const text = await idp.opaqueToken(alice, { claims: { iat: String(nowSec) } });
    await expectAuthFailure(auth.authenticate(text), 'token_malformed', 401);
    const skewed = await idp.opaqueToken(alice, { claims: { iat: nowSec + 5 } });
    await expect(auth.authenticate(skewed)).resolves.toMatchObject({ issuedAt: nowSec + 5 });
  });

  test('rejects an active answer whose Keycloak typ is Refresh with 401 token_type_invalid', async () => {
    const auth = make();
    const token = await idp.opaqueToken(alice, { claims: { typ: 'Refresh' } });
    await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
  });

  test.each([
    ['token_type', { token_type: { toString: 1 } }],
    ['typ', { typ: { toString: 1 } }],
  ])(
    'rejects an active answer whose %s is a JSON object with 401 token_type_invalid, never a crash',
    async (_member, claims) => {
      const auth = make();
      const token = await idp.opaqueToken(alice, { claims });
      await expectAuthFailure(auth.authenticate(token), 'token_type_invalid', 401);
    },
  );

  test('rejects an active answer with no exp with 401 token_malformed, never caching it as active', async () => {
    const auth = make();
    const token = await idp.opaqueToken(alice, { claims: { exp: undefined } });
    await expectAuthFailure(auth.authenticate(token), 'token_malformed', 401);
  });

  test('rejects an active answer with a username but no sub with 401 token_inactive, never taking the name as the subject', async () => {
    const auth = make();
    // A chosen username equal to someone else's sub must not become that person's identity.
    const token = await idp.opaqueToken(alice, { claims: { sub: undefined, username: 'bob-sub' } });
    await expectAuthFailure(auth.authenticate(token), 'token_inactive', 401);
  });

  test('rejects an active answer whose auth_time lies ahead beyond the leeway, accepting a few seconds', async () => {
    // OpenID Connect Core §2: step-up's max_age (RFC 9470 §3) must not be passable forever.
    const now = Math.floor(clock.now() / 1000);
    const ahead = await idp.opaqueToken(alice, { claims: { auth_time: now + 3600 } });
    await expectAuthFailure(make().authenticate(ahead), 'token_not_yet_valid', 401);
    const skewed = await idp.opaqueToken(alice, { claims: { auth_time: now + 10 } });
    await expect(make().authenticate(skewed)).resolves.toMatchObject({ authTime: now + 10 });
  });

  test('rejects an active answer with no iss with 401 issuer_unknown', async () => {
    const auth = make();
    const token = await idp.opaqueToken(alice, { claims: { iss: undefined } });
    await expectAuthFailure(auth.authenticate(token), 'issuer_unknown', 401);
  });

  test('introspect() is a live check for JWT-verified routes, cached for seconds', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      cache: { introspectionTtlSec: 5 },
    });
    const token = await idp.accessToken(alice);
    await expect(auth.authenticate(token)).resolves.toBeDefined();
    await expect(auth.introspect(token)).resolves.toMatchObject({ subject: alice.sub });
    idp.revoke(token);
    await expect(auth.introspect(token)).resolves.toBeDefined(); // cached
    clock.advance(6);
    await expectAuthFailure(auth.introspect(token), 'token_inactive', 401);
    await expect(auth.authenticate(token)).resolves.toBeDefined(); // the JWT itself is still valid
  });

  test('sends client credentials as HTTP Basic (RFC 7662 §2.1)', async () => {
    const seen: string[] = [];
    const auth = make({}, undefined as never);
    const spy = createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect' })],
      now: clock.now,
      fetch: async (input, init) => {
        if (init?.method === 'POST')
          seen.push(new Headers(init.headers).get('authorization') ?? '');
        return fetch(input, init);
      },
    });
    void auth;
    await spy.authenticate(await idp.accessToken(alice));
    expect(seen).toEqual([`Basic ${Buffer.from('todo-api:todo-api-secret').toString('base64')}`]);
  });
});

test('rejects an active answer whose exp overflows to Infinity (1e400) with 401 token_malformed', async () => {
  // A real HTTP IdP writing the JSON text itself: JSON.parse reads 1e400 as Infinity.
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect` }));
    else
      res.end(
        `{"active":true,"iss":"${base}","sub":"${alice.sub}","aud":"todo-api","token_type":"Bearer","exp":1e400}`,
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const auth = createAuthenticator({
      issuers: [
        {
          issuer: base,
          audience: 'todo-api',
          verify: 'introspect',
          clientId: 'todo-api',
          clientSecret: 'secret',
        },
      ],
    });
    await expectAuthFailure(auth.authenticate('opaque-token'), 'token_malformed', 401);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

// RFC 9068 §2.2 `client_id` and OpenID Connect Core §2 `azp` both name the client the token was
// issued to: an answer naming two clients cannot be told from an agent's, nor matched to one
// revocation, and is refused as the same JWT is (validate-claims.ts).
test('rejects an active answer whose azp and client_id differ with 401 token_malformed, as a JWT', async () => {
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect` }));
    else
      res.end(
        JSON.stringify({
          active: true,
          iss: base,
          sub: alice.sub,
          aud: 'todo-api',
          token_type: 'Bearer',
          scope: 'openid',
          exp: Math.floor(Date.now() / 1000) + 300,
          azp: 'todo-ui',
          client_id: 'an-agent',
        }),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const auth = createAuthenticator({
      issuers: [
        {
          issuer: base,
          audience: 'todo-api',
          profile: 'generic',
          verify: 'introspect',
          clientId: 'todo-api',
          clientSecret: 'secret',
        },
      ],
    });
    await expectAuthFailure(auth.authenticate('opaque-token'), 'token_malformed', 401);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('an Authentik issuer in introspect mode', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'authentik', algorithm: 'ES256' });
  });
  afterAll(() => idp.close());

  // Authentik answers a refresh token with its ID token's claims and no type; that ID token
  // carries `at_hash` (OpenID Connect Core §3.1.3.6), which no access token's answer has.
  test('rejects a refresh token (an answer with at_hash and no type) with 401 token_type_invalid', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions({ verify: 'introspect' })] });
    const refresh = await idp.opaqueToken(alice, {
      claims: { at_hash: 'x4Fmz3Jt1bLaYw2Y6v1MOQ', token_type: undefined },
    });
    await expectAuthFailure(auth.authenticate(refresh), 'token_type_invalid', 401);
    const access = await idp.opaqueToken(alice, { claims: { token_type: undefined } });
    await expect(auth.authenticate(access)).resolves.toMatchObject({ subject: alice.sub });
  });
});
