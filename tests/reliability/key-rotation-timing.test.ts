import {
  alice,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from './support/api.js';
import { SteppedClock } from './support/clock.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';

/**
 * A provider may start signing with a new key at any moment, also one second after the API
 * last fetched its keys: the token must be accepted on first sight, over HTTP, without waiting
 * out a refetch cooldown.
 */
describe('a key published one second after the API last fetched the JWKS', () => {
  const clock = new SteppedClock();
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let api: RunningApi;

  beforeAll(async () => {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.ms });
    api = await startApiUnderTest({ database: database.env, idp, clock });
  });

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  const call = async (token: string) => {
    const res = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { code?: string };
    return res.status === 200 ? '200' : `${res.status} ${body.code}`;
  };

  it('is accepted for every concurrent request after the first fetch, with one shared refetch', async () => {
    expect(await call(await idp.accessToken(alice))).toBe('200');
    const fetched = idp.counters.jwks;
    clock.advance(1000);
    await idp.rotateKeys();
    idp.setFault('slow', { delayMs: 150, endpoints: ['jwks'] });
    try {
      const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.accessToken(alice)));
      expect(await Promise.all(tokens.map(call))).toEqual(Array(10).fill('200'));
    } finally {
      idp.setFault(undefined);
    }
    expect(idp.counters.jwks).toBe(fetched + 1);
  });

  it('is accepted one second after a TTL refresh', async () => {
    clock.advance(301_000); // past the 5-minute key TTL: the next request refreshes
    expect(await call(await idp.accessToken(alice))).toBe('200');
    const fetched = idp.counters.jwks;
    clock.advance(1000);
    await idp.rotateKeys();
    expect(await call(await idp.accessToken(alice))).toBe('200');
    expect(idp.counters.jwks).toBe(fetched + 1);
  });

  it('still refuses made-up kids after one refetch per cooldown window: 401 after it, 503 until the window ends', async () => {
    const fetched = idp.counters.jwks;
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1000);
      // Claims that would pass (a token refused by them costs no refetch at all).
      const key = await generateSigningKey('RS256', `made-up-${i}`);
      const forged = await idp.accessToken(alice, { key });
      outcomes.push(await call(forged));
    }
    // The first one's refetch started after it was made: its kid is not published (401). The
    // others are younger than the keys kept: the provider may have rotated since, and they
    // wait for the window's end (503 with Retry-After) rather than be called invalid.
    expect(outcomes).toEqual(['401 key_unknown', ...Array(9).fill('503 key_refetch_deferred')]);
    expect(idp.counters.jwks).toBe(fetched + 1);
  });
});
