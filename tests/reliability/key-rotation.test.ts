import { alice, bob, carol, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from './support/api.js';
import { SteppedClock } from './support/clock.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';

const LOAD_MS = Number(process.env.ROTATION_LOAD_MS ?? 1500);
const ROTATIONS = 4;

/** Keys rotate while clients keep calling: the new kid is fetched once, nothing fails. */
describe('signing keys rotating under load', () => {
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
    const res = await fetch(`${api.url}/todos/?limit=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { code?: string };
    return res.status === 200 ? '200' : `${res.status} ${body.code}`;
  };

  it(`answers ${ROTATIONS} rotations under load with zero failures`, async () => {
    const statuses = new Map<string, number>();
    const deadline = Date.now() + LOAD_MS;
    const users = [alice, bob, carol];
    const worker = async (n: number) => {
      while (Date.now() < deadline) {
        // Each request carries a token minted now, so it names whichever key is current.
        const outcome = await call(await idp.accessToken(users[n % users.length]));
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
      }
    };
    const rotator = async () => {
      for (let i = 0; i < ROTATIONS; i += 1) {
        await new Promise((r) => setTimeout(r, LOAD_MS / (ROTATIONS + 1)));
        // Real rotations are far apart; step past the API's 30 s refetch cooldown between them.
        clock.advance(31_000);
        await idp.rotateKeys();
      }
    };
    await Promise.all([rotator(), ...Array.from({ length: 8 }, (_, n) => worker(n))]);
    // Zero failures: requests naming a new kid while its refetch is in flight wait for it.
    const failures = [...statuses.keys()].filter((k) => k !== '200');
    expect(failures, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    expect(statuses.get('200')).toBeGreaterThan(100);
    expect(idp.publishedKids()).toHaveLength(ROTATIONS + 1);
  }, 30_000);

  it('accepts tokens of the previous key after a rotation while it is still published', async () => {
    const old = await idp.accessToken(alice);
    clock.advance(31_000);
    await idp.rotateKeys();
    expect(await call(await idp.accessToken(alice))).toBe('200');
    expect(await call(old)).toBe('200');
  });

  it('fails closed (401, never 5xx) for a new kid inside the cooldown after an unknown-kid probe, then recovers', async () => {
    // Trade-off of the refetch cooldown (a flood of unknown kids costs one fetch per window):
    // a probe with an unknown kid just before a rotation delays the new key by up to 30 s.
    const probe = await idp.sign({ iss: idp.issuer, sub: 'x' }, { kid: 'probe-unknown' });
    clock.advance(31_000);
    expect(await call(probe)).toBe('401 key_unknown');
    await idp.rotateKeys();
    const fresh = await idp.accessToken(alice);
    expect(await call(fresh)).toBe('401 key_unknown');
    clock.advance(31_000);
    expect(await call(fresh)).toBe('200');
  });

  // The refetch stamps its start as the last attempt, so requests arriving while it is in
  // flight are inside the cooldown: they must share the fetch rather than be turned away.
  it('accepts every concurrent request with a just-rotated kid (refetch in flight)', async () => {
    clock.advance(31_000);
    await idp.rotateKeys();
    idp.setFault('slow', { delayMs: 200, endpoints: ['jwks'] });
    try {
      const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.accessToken(alice)));
      const outcomes = await Promise.all(tokens.map((t) => call(t)));
      expect(outcomes).toEqual(Array(10).fill('200'));
    } finally {
      idp.setFault(undefined);
    }
  });
});
