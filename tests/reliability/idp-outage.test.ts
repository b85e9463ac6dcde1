import { alice, type SigningKey, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from './support/api.js';
import { SteppedClock } from './support/clock.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';

/** The `/readyz` body (schema `Readiness` in the API's OpenAPI document). */
interface Readiness {
  status: 'ready' | 'degraded' | 'unavailable';
  checks: Record<string, boolean>;
  issuers: { issuer: string; state: string; outageSince?: string; staleKeys: boolean }[];
}

/**
 * The identity provider stops for the rest of the run. Cached keys keep serving (stale-if-error);
 * what cannot be decided any more, a token whose kid the cached keys do not hold (a key rotated
 * in before the outage) included, fails closed with 503 — never a 401 that would make the client
 * drop a good token, never a 500, never a silent pass.
 */
describe('identity provider down for the whole run', () => {
  const clock = new SteppedClock();
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let api: RunningApi;
  /** The key the API cached before the outage. */
  let cachedKey: SigningKey;
  const withCachedKey = () => idp.accessToken(alice, { key: cachedKey });
  /** `/readyz` while the issuer was still up. */
  let readyBefore: { status: number; body: Readiness };
  /** When the first refresh failed (the unknown-kid refetch). */
  let failedAt = { after: 0, before: 0 };

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${api.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.ms });
    cachedKey = await idp.rotateKeys({ retirePrevious: true });
    api = await startApiUnderTest({ database: database.env, idp, clock });
    // Keys are loaded by the first request, then the issuer goes away for good.
    expect((await get('/me', await withCachedKey())).status).toBe(200);
    readyBefore = await get('/readyz');
    await idp.close();
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('keeps accepting new tokens signed with a cached key', async () => {
    const res = await get('/todos/', await idp.accessToken(alice));
    expect(res.status).toBe(200);
  });

  it('reports ready with the issuer ok while it answers', () => {
    expect(readyBefore.status).toBe(200);
    expect(readyBefore.body).toMatchObject({
      status: 'ready',
      checks: { database: true, issuers: true, revocations: true },
      issuers: [{ issuer: idp.issuer, state: 'ok', staleKeys: false }],
    });
    expect(readyBefore.body.issuers[0]?.outageSince).toBeUndefined();
  });

  it('answers a token with a kid the cached keys lack with 503 idp_unavailable, not 401 or 500', async () => {
    await idp.rotateKeys();
    const token = await idp.accessToken(alice);
    // Past the refetch cooldown: the unknown kid makes the API try the issuer, which fails.
    clock.advance(31_000);
    failedAt = { after: clock.ms(), before: 0 };
    const res = await get('/todos/', token);
    failedAt.before = clock.ms();
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('idp_unavailable');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('still refuses forgeries and missing tokens the same way', async () => {
    expect((await get('/todos/', 'a.b.c')).status).toBe(401);
    expect((await get('/todos/')).status).toBe(401);
  });

  // The API learns of the outage from a refresh that failed (it does not poll the issuer for
  // its probes). 200 keeps the pod in rotation while cached keys verify; the body says what
  // is wrong.
  it('reports the outage on /readyz as 200 degraded, naming the issuer and since when', async () => {
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      checks: { database: true, issuers: true, revocations: true },
      issuers: [{ issuer: idp.issuer, state: 'degraded', staleKeys: false }],
    });
    const since = Date.parse(res.body.issuers[0]?.outageSince ?? '');
    expect(since).toBeGreaterThanOrEqual(failedAt.after);
    expect(since).toBeLessThanOrEqual(failedAt.before);
  });

  it('serves stale keys past their TTL inside the stale-if-error window', async () => {
    clock.advance(301_000); // JWKS TTL (300 s) over; stale-if-error (600 s) not yet
    const res = await get('/todos/', await withCachedKey());
    expect(res.status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      issuers: [{ state: 'degraded', staleKeys: true }],
    });
  });

  it('fails closed with 503 idp_unavailable and Retry-After once the stale window is over', async () => {
    clock.advance(600_000);
    const res = await get('/todos/', await withCachedKey());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('idp_unavailable');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      checks: { issuers: false },
      issuers: [{ issuer: idp.issuer, state: 'unavailable' }],
    });
  });

  it('never answered 500 during the outage', async () => {
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{[^}]*status="200"/);
    expect(metrics).not.toMatch(/http_requests_total\{[^}]*status="5(?!03)\d\d"/);
  });
});
