import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from '../reliability/support/api.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { ATTACKS, type ForgeKit } from './attacks.js';
import { buildForgeKit } from './kit.js';
import { startTrap, type Trap } from './trap.js';

/**
 * Every forged or malformed token class against the listening API over real HTTP: 401 with an
 * RFC 6750 §3.1 `invalid_token` challenge and the precise reason code, never a 5xx but one, and
 * never a request to a URL the token names (RFC 8725 §3.10). The one: a token with valid claims
 * and a `kid` the keys lack, sent while they may not be refetched (one fruitless refetch per
 * 30 s), is 503 with `Retry-After` to the window's end, since its key could have been rotated
 * in meanwhile; it is still never accepted.
 */
describe('token attacks against the running API', () => {
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let stranger: TestIssuer;
  let api: RunningApi;
  let trap: Trap;
  let kit: ForgeKit;

  beforeAll(async () => {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak' });
    stranger = await startTestIssuer({ profile: 'keycloak' });
    trap = await startTrap();
    // The kit rotates to a key whose private half it holds, before the API loads the JWKS.
    kit = await buildForgeKit(idp, stranger, trap.url);
    api = await startApiUnderTest({ database: database.env, idp });
  });

  afterAll(async () => {
    await api?.close();
    await stranger?.close();
    await idp?.close();
    await trap?.close();
    await database?.drop();
  });

  it('accepts the untampered token the forgeries start from (control)', async () => {
    const res = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${kit.valid}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sub: string }).sub).toBe(alice.sub);
  });

  it('covers at least 40 distinct attack classes', () => {
    expect(new Set(ATTACKS.map((a) => a.name)).size).toBe(ATTACKS.length);
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(ATTACKS)('refuses $name ($source) with $code', async (attack) => {
    const token = await attack.forge(kit);
    const res = await fetch(`${api.url}/todos/`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    if (attack.code === 'key_unknown' && res.status === 503) {
      expect((JSON.parse(text) as { code?: string }).code).toBe('key_refetch_deferred');
      const wait = Number(res.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(30);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(text).not.toContain(token.split('.')[1]);
      return;
    }
    expect(res.status).toBeLessThan(500);
    if (attack.status !== undefined) {
      expect(res.status).toBe(attack.status);
      return;
    }
    expect({ status: res.status, code: (JSON.parse(text) as { code?: string }).code }).toEqual({
      status: 401,
      code: attack.code,
    });
    expect(res.headers.get('www-authenticate')).toMatch(
      // RFC 9449 §7.1: the DPoP challenge with its algorithms follows the Bearer one; each names
      // the protected resource metadata (RFC 9728 §5.1).
      /^Bearer realm="todo-api", error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", DPoP realm="todo-api", algs="[^"]+", resource_metadata="[^"]+"$/,
    );
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Nothing of the token is echoed back.
    const longest = token.split('.').reduce((a, b) => (b.length > a.length ? b : a), '');
    if (longest.length > 16) expect(text).not.toContain(longest);
  });

  it('never fetched a jku, x5u or any other URL a token named', () => {
    expect(trap.hits).toEqual([]);
  });

  it('let the flood of unknown kids cost at most a few JWKS fetches (refetch cooldown)', () => {
    // One initial load plus at most one refetch per cooldown window during the run.
    expect(idp.counters.jwks).toBeLessThanOrEqual(3);
  });

  it('wrote nothing while refusing forgeries', async () => {
    const rows = await api.context.db.kysely
      .selectFrom('todos')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(0);
  });
});
