import { type AuthEvent, createAuthenticator } from '@todo-sso/auth';
import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { exportJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure, frozenClock } from './support.js';

/**
 * Alice's token signed by a key the issuer never published, under any `kid`: what a flood of
 * random kids sends.
 */
async function forger(idp: TestIssuer): Promise<(kid: string) => string> {
  const stranger = await generateSigningKey('RS256');
  const [, payload, signature] = (await idp.accessToken(alice, { key: stranger })).split('.');
  return (kid) =>
    `${Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url')}.${payload}.${signature}`;
}

/** A refusal's code, with the seconds of its `Retry-After` when it has one. */
const outcome = (e: { code?: string; retryAfterSec?: number }): string =>
  e.retryAfterSec === undefined ? String(e.code) : `${e.code} ${e.retryAfterSec}`;

// RFC 7517 §8.5: a JWK Set's media type is application/jwk-set+json.
test('asks for application/jwk-set+json keys and accepts a JWKS answered with that type', async () => {
  const idp = await startTestIssuer({ profile: 'generic', algorithm: 'ES256' });
  try {
    const accepts = new Map<string, string | null>();
    const relabel: typeof fetch = async (input, init) => {
      const url = String(input);
      const answer = await fetch(input, init);
      accepts.set(url, new Headers(init?.headers).get('accept'));
      if (url !== idp.jwksUri) return answer;
      const headers = new Headers(answer.headers);
      headers.set('content-type', 'application/jwk-set+json');
      headers.delete('content-length');
      return new Response(await answer.text(), { status: answer.status, headers });
    };
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()], fetch: relabel });
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(accepts.get(idp.jwksUri)).toBe('application/jwk-set+json, application/json');
    expect([...accepts.values()].filter((a) => a === 'application/json')).toHaveLength(1);
  } finally {
    await idp.close();
  }
});

describe('JWKS cache', () => {
  let clock: ReturnType<typeof frozenClock>;
  let idp: TestIssuer;
  let events: AuthEvent[];
  const make = (extra: Partial<Parameters<typeof createAuthenticator>[0]> = {}) =>
    createAuthenticator({
      issuers: [idp.issuerOptions()],
      now: clock.now,
      jwksTtlSec: 300,
      jwksCooldownSec: 30,
      staleIfErrorSec: 600,
      httpTimeoutMs: 500,
      onEvent: (e) => events.push(e),
      ...extra,
    });
  beforeEach(async () => {
    clock = frozenClock();
    events = [];
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256', now: clock.now });
  });
  afterEach(() => idp.close());

  test('shares one in-flight fetch between concurrent first requests', async () => {
    const auth = make();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => idp.accessToken(alice)));
    await Promise.all(tokens.map((t) => auth.authenticate(t)));
    expect(idp.counters).toMatchObject({ discovery: 1, jwks: 1 });
  });

  test('a flood of 1,000 random kids causes at most one JWKS fetch per cooldown window', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    expect(idp.counters.jwks).toBe(1);
    const stranger = await generateSigningKey('RS256');
    const template = await idp.accessToken(alice, { key: stranger });
    const [, payload, signature] = template.split('.');
    clock.advance(31); // the first cooldown is over
    const flood = Array.from({ length: 1000 }, (_, i) => {
      const header = Buffer.from(
        JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: `random-${i}` }),
      ).toString('base64url');
      return auth.authenticate(`${header}.${payload}.${signature}`).catch((e) => e);
    });
    const results = await Promise.all(flood);
    expect(results.every((e) => e.code === 'key_unknown')).toBe(true);
    expect(idp.counters.jwks).toBe(2); // one refetch for the whole window
    clock.advance(10);
    await expectAuthFailure(
      auth.authenticate(
        `${Buffer.from('{"alg":"RS256","kid":"late"}').toString('base64url')}.${payload}.${signature}`,
      ),
      'key_unknown',
      401,
    );
    expect(idp.counters.jwks).toBe(2);
  });

  test('accepts a rotated key after refetching on its unknown kid', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(31);
    await idp.rotateKeys();
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(idp.counters.jwks).toBe(2);
  });

  test('accepts a key published one second after the startup fetch on first sight', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(1);
    await idp.rotateKeys();
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(idp.counters.jwks).toBe(2);
  });

  test('accepts a key published one second after a TTL refresh, then one after that refetch', async () => {
    const auth = make({ cache: { maxEntries: 0 } });
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(301); // TTL over: this request refreshes the keys
    await auth.authenticate(await idp.accessToken(alice));
    expect(idp.counters.jwks).toBe(2);
    clock.advance(1);
    await idp.rotateKeys();
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    clock.advance(1); // a productive refetch does not close the gate either
    await idp.rotateKeys();
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(idp.counters.jwks).toBe(4);
  });

  test('a flood of random kids one second after a rotation refetch still costs one more fetch', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(1);
    await idp.rotateKeys();
    await auth.authenticate(await idp.accessToken(alice));
    expect(idp.counters.jwks).toBe(2);
    const forged = await forger(idp);
    for (let i = 0; i < 20; i += 1) {
      clock.advance(1);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          auth.authenticate(forged(`r${i}-${j}`)).catch((e) => e),
        ),
      );
      // The first second's refetch started as they arrived: their kids are not published. Past
      // it, the kept keys predate tokens this young (their provider may have rotated since), so
      // they wait for the window's end (503, Retry-After to it) rather than be called invalid.
      expect(new Set(results.map(outcome))).toEqual(
        new Set([i === 0 ? 'key_unknown' : `key_refetch_deferred ${30 - i}`]),
      );
    }
    expect(idp.counters.jwks).toBe(3); // twenty seconds of flood: one fetch
  });

  test('a token refused by its own claims costs no refetch, so a key rotated in right after is accepted on first sight', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    expect(idp.counters.jwks).toBe(1);
    const stranger = await generateSigningKey('RS256');
    // Tokens of a key the IdP no longer publishes are long expired; others name no audience of
    // this API or are no access tokens. No key could make them pass: nothing is fetched.
    const refusedAnyway = [
      [
        await idp.accessToken(alice, { key: stranger, issuedAt: clock.now() / 1000 - 3600 }),
        'token_expired',
      ],
      [
        await idp.accessToken(alice, { key: stranger, claims: { aud: 'another-api' } }),
        'audience_mismatch',
      ],
      [await idp.idToken(alice, { key: stranger }), 'token_type_invalid'],
      [
        await idp.sign({ iss: idp.issuer, sub: 'x', scope: 'openid' }, { kid: 'probe' }),
        'token_malformed',
      ],
    ] as const;
    for (const [token, code] of refusedAnyway)
      await expectAuthFailure(auth.authenticate(token), code, 401);
    expect(idp.counters.jwks).toBe(1);
    clock.advance(1);
    await idp.rotateKeys();
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    expect(idp.counters.jwks).toBe(2);
  });

  test('tells why each fetch started: a flood once the TTL is over costs that refresh and one refetch per cooldown', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(301); // the keys' TTL is over when the flood begins
    const forged = await forger(idp); // with tokens still valid, so that their kids are looked up
    for (let second = 0; second < 34; second += 1) {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          auth.authenticate(forged(`s${second}-${j}`)).catch((e) => e),
        ),
      );
      // Refetched at second 1 and 32; in between the young tokens wait for the window's end,
      // and from second 31 on they are older than the clock tolerance: the keys fetched after
      // they were issued lack their kids, which decides.
      const expected =
        second <= 1 || second >= 31 ? 'key_unknown' : `key_refetch_deferred ${31 - second}`;
      expect(new Set(results.map(outcome))).toEqual(new Set([expected]));
      clock.advance(1);
    }
    const reasons = events.flatMap((e) => (e.type === 'jwks_fetch' ? [e.reason] : []));
    // The TTL refresh would have happened for any request; the made-up kids cost one refetch
    // at once (the refresh did not look for them) and one more when the cooldown is over.
    expect(reasons).toEqual(['startup', 'ttl', 'unknown_kid', 'unknown_kid']);
    expect(idp.counters.jwks).toBe(4);
  });

  test('accepts every concurrent request with a just-rotated kid while its refetch is in flight', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    clock.advance(31);
    await idp.rotateKeys();
    idp.setFault('slow', { delayMs: 100, endpoints: ['jwks'] });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.accessToken(alice)));
    const results = await Promise.all(tokens.map((t) => auth.authenticate(t).catch((e) => e)));
    expect(results.map((r) => r.subject ?? r.code)).toEqual(Array(10).fill(alice.sub));
    expect(idp.counters.jwks).toBe(2); // the ten shared one refetch
  });

  test('a flood of random kids during a refetch shares it and starts no other', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    const forged = await forger(idp);
    idp.setFault('slow', { delayMs: 100, endpoints: ['jwks'] });
    for (let window = 1; window <= 3; window += 1) {
      clock.advance(31);
      const flood = Array.from({ length: 300 }, (_, i) =>
        auth.authenticate(forged(`w${window}-${i}`)).catch((e) => e),
      );
      const results = await Promise.all(flood);
      expect(results.every((e) => e.code === 'key_unknown')).toBe(true);
      expect(idp.counters.jwks).toBe(1 + window);
    }
  });

  test('rejects a token of a removed key once the TTL has passed with 401 key_unknown', async () => {
    const auth = make({ cache: { maxEntries: 0 } });
    const old = await idp.accessToken(alice, { expiresInSec: 3600 });
    await auth.authenticate(old);
    await idp.rotateKeys({ retirePrevious: true });
    await expect(auth.authenticate(old)).resolves.toBeDefined(); // still within the TTL
    clock.advance(301);
    await expectAuthFailure(auth.authenticate(old), 'key_unknown', 401);
  });

  test('ignores keys marked use "enc" even when their kid matches', async () => {
    const encKey = await generateSigningKey('RS256');
    idp.publishJwk({ ...encKey.publicJwk, use: 'enc' });
    const auth = make();
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { key: encKey })),
      'key_unknown',
      401,
    );
  });

  test.each([
    ['key_ops that is not an array (RFC 7517 §4.3)', { key_ops: 'encrypt' }],
    ['key_ops without verify', { key_ops: ['encrypt'] }],
    ['a use that is not a string (RFC 7517 §4.2)', { use: ['sig', 'enc'] }],
    [
      'use "sig" but key_ops without verify (RFC 7517 §4.3: consistent or ignored)',
      { key_ops: ['sign'] },
    ],
  ])('ignores a key with %s even when its kid matches', async (_name, members) => {
    const odd = await generateSigningKey('RS256');
    // Malformed members on purpose: the JWK type does not allow them.
    idp.publishJwk({ ...odd.publicJwk, ...(members as object) });
    const auth = make();
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { key: odd })),
      'key_unknown',
      401,
    );
  });

  test.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'ignores a %s key published with its private part: anyone can sign with it',
    async (alg) => {
      const leaked = await generateSigningKey(alg);
      const privateJwk = await exportJWK(leaked.privateKey);
      expect(privateJwk.d).toBeDefined();
      idp.publishJwk({ ...privateJwk, kid: leaked.kid, alg, use: 'sig' });
      const auth = make();
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice, { key: leaked })),
        'key_unknown',
        401,
      );
      // The issuer's own keys still verify.
      await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toBeDefined();
    },
  );

  test('keeps accepting tokens with cached keys while the IdP is down, and reports the outage', async () => {
    const auth = make({ cache: { maxEntries: 0 } });
    await auth.authenticate(await idp.accessToken(alice));
    idp.setFault('reset');
    clock.advance(301); // keys are stale now
    await expect(auth.authenticate(await idp.accessToken(alice))).resolves.toMatchObject({
      subject: alice.sub,
    });
    const [status] = auth.status();
    expect(status).toMatchObject({
      keysCached: true,
      stale: true,
      usable: true,
      outageSince: clock.now(),
    });
    expect(events.some((e) => e.type === 'stale_keys_used')).toBe(true);
    expect(events.some((e) => e.type === 'discovery_fetch' && !e.ok)).toBe(true);
  });

  test('answers an unknown kid during an outage with 503 idp_unavailable, never a 401 or a 500', async () => {
    const auth = make();
    await auth.authenticate(await idp.accessToken(alice));
    // A key rotated in just before the outage: the kept key set cannot know it.
    await idp.rotateKeys();
    idp.setFault('down');
    clock.advance(31);
    const rotated = await idp.accessToken(alice);
    await expectAuthFailure(auth.authenticate(rotated), 'idp_unavailable', 503);
    // Within the cooldown no fetch is tried, and the answer stays the outage's.
    clock.advance(1);
    await expectAuthFailure(auth.authenticate(rotated), 'idp_unavailable', 503);
    idp.setFault(undefined);
    clock.advance(31);
    await expect(auth.authenticate(rotated)).resolves.toMatchObject({ subject: alice.sub });
    // With the IdP reachable, a kid it does not publish is the token's fault: 401.
    const stranger = await generateSigningKey('RS256');
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { key: stranger })),
      'key_unknown',
      401,
    );
  });

  test('fails closed with 503 idp_unavailable once the stale-if-error window is over', async () => {
    const auth = make({ cache: { maxEntries: 0 } });
    await auth.authenticate(await idp.accessToken(alice));
    idp.setFault('down');
    clock.advance(300 + 601);
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(auth.status()[0]).toMatchObject({ usable: false });
  });

  test('recovers when the IdP comes back and clears the outage', async () => {
    const auth = make({ cache: { maxEntries: 0 } });
    await auth.authenticate(await idp.accessToken(alice));
    idp.setFault('down');
    clock.advance(301);
    await auth.authenticate(await idp.accessToken(alice));
    expect(auth.status()[0]?.outageSince).toBeDefined();
    idp.setFault(undefined);
    clock.advance(31);
    await auth.authenticate(await idp.accessToken(alice));
    expect(auth.status()[0]).toMatchObject({ stale: false, usable: true });
    expect(auth.status()[0]?.outageSince).toBeUndefined();
  });

  test.each(['down', 'reset', 'garbage'] as const)(
    'answers 503 idp_unavailable when no keys were ever loaded and the IdP is %s',
    async (fault) => {
      idp.setFault(fault);
      const auth = make();
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice)),
        'idp_unavailable',
        503,
      );
      expect(await auth.ready()).toBe(false);
    },
  );

  test('times out a slow IdP and answers 503 idp_unavailable', async () => {
    idp.setFault('slow', { delayMs: 5_000 });
    const auth = make({ httpTimeoutMs: 100 });
    const started = Date.now();
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('ready() loads discovery and keys; status() reports the last successful fetch', async () => {
    const auth = make();
    expect(auth.status()[0]).toMatchObject({ keysCached: false, usable: false });
    expect(await auth.ready()).toBe(true);
    expect(auth.status()[0]).toMatchObject({
      keysCached: true,
      keyCount: 1,
      lastSuccessfulFetch: clock.now(),
      usable: true,
    });
  });
});

describe('issuer aliasing', () => {
  test('fetches metadata and keys from discoveryUrl while tokens carry the public issuer', async () => {
    const publicIssuer = 'https://sso.example.com/realms/todo-app';
    const idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
    try {
      const auth = createAuthenticator({
        issuers: [
          {
            issuer: publicIssuer,
            discoveryUrl: idp.origin,
            audience: 'todo-api',
            profile: 'keycloak',
          },
        ],
      });
      const token = await idp.accessToken(alice, { claims: { iss: publicIssuer } });
      await expect(auth.authenticate(token)).resolves.toMatchObject({
        issuer: publicIssuer,
        subject: alice.sub,
      });
      expect(idp.counters).toMatchObject({ discovery: 1, jwks: 1 });
      // A token carrying the internal URL as issuer is not trusted.
      await expectAuthFailure(
        auth.authenticate(await idp.accessToken(alice)),
        'issuer_unknown',
        401,
      );
    } finally {
      await idp.close();
    }
  });
});
