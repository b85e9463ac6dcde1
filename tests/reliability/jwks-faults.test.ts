import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from './support/api.js';
import { SteppedClock } from './support/clock.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';

/**
 * A JWKS endpoint that is slow, resets connections or answers garbage: never a 500, an API
 * without keys answers 503 (an outage is not a bad token), and it recovers by itself.
 */
describe('JWKS slow or garbage', () => {
  let database: SuiteDatabase | undefined;
  let idp: TestIssuer | undefined;
  let api: RunningApi | undefined;
  const clock = new SteppedClock();

  async function start(): Promise<{ idp: TestIssuer; api: RunningApi }> {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.ms });
    api = await startApiUnderTest({ database: database.env, idp, clock });
    return { idp, api };
  }

  async function call(running: RunningApi, token: string) {
    const started = performance.now();
    const res = await fetch(`${running.url}/todos/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { code?: string };
    return {
      status: res.status,
      code: body.code,
      ms: performance.now() - started,
      headers: res.headers,
    };
  }

  afterEach(async () => {
    await api?.close();
    await database?.drop();
    api = undefined;
    idp = undefined;
  });

  it('waits for a slow JWKS that answers within the timeout', async () => {
    const { idp, api } = await start();
    idp.setFault('slow', { delayMs: 800, endpoints: ['jwks'] });
    const res = await call(api, await idp.accessToken(alice));
    expect(res.status).toBe(200);
    expect(res.ms).toBeGreaterThanOrEqual(700);
  });

  it('answers 503 idp_unavailable within the 5 s fetch timeout when the JWKS hangs', async () => {
    const { idp, api } = await start();
    idp.setFault('slow', { delayMs: 30_000, endpoints: ['jwks'] });
    const res = await call(api, await idp.accessToken(alice));
    expect({ status: res.status, code: res.code }).toEqual({
      status: 503,
      code: 'idp_unavailable',
    });
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.ms).toBeLessThan(7_000);
  }, 15_000);

  it.each(['garbage', 'reset', 'down'] as const)(
    'answers 503 when the JWKS answers %s, then recovers by itself after the cooldown',
    async (fault) => {
      const { idp, api } = await start();
      idp.setFault(fault, { endpoints: ['jwks'] });
      const token = await idp.accessToken(alice);
      const during = await Promise.all(Array.from({ length: 20 }, () => call(api, token)));
      expect(new Set(during.map((r) => `${r.status} ${r.code}`))).toEqual(
        new Set(['503 idp_unavailable']),
      );
      // At most one fetch per cooldown window, however many requests are waiting.
      expect(idp.counters.jwks).toBeLessThanOrEqual(2);
      idp.setFault(undefined);
      clock.advance(31_000); // the refetch cooldown (30 s)
      expect((await call(api, token)).status).toBe(200);
    },
  );

  it('keeps serving cached keys when the refresh after the TTL gets garbage', async () => {
    const { idp, api } = await start();
    expect((await call(api, await idp.accessToken(alice))).status).toBe(200);
    idp.setFault('garbage');
    clock.advance(301_000);
    const res = await call(api, await idp.accessToken(alice));
    expect(res.status).toBe(200);
  });

  it('ignores unusable keys in the JWKS and verifies with the good one', async () => {
    const { idp, api } = await start();
    idp.publishJwk({ kty: 'RSA', kid: 'broken', n: '!!not-base64!!', e: 'AQAB' });
    idp.publishJwk({ kty: 'oct', kid: 'symmetric', k: 'c2VjcmV0' });
    idp.publishJwk({ kty: 'RSA', kid: 'enc', use: 'enc', n: 'AQAB', e: 'AQAB' });
    expect((await call(api, await idp.accessToken(alice))).status).toBe(200);
  });
});
