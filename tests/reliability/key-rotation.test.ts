import { randomUUID } from 'node:crypto';
import {
  alice,
  bob,
  carol,
  generateSigningKey,
  startTestIssuer,
  type TestIssuer,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from './support/api.js';
import { SteppedClock } from './support/clock.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';

// Requests accepted under each key before the next rotation: a count, not a time, so a slow
// machine runs the same test more slowly instead of with less load.
const PER_KEY = Number(process.env.ROTATION_REQUESTS_PER_KEY ?? 40);
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

  const kidOf = (token: string): string => {
    const header = Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString();
    return (JSON.parse(header) as { kid: string }).kid;
  };

  const call = async (token: string) => {
    const res = await fetch(`${api.url}/todos/?limit=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { code?: string };
    return res.status === 200 ? '200' : `${res.status} ${body.code}`;
  };

  it(`answers ${ROTATIONS} rotations under load with zero failures`, async () => {
    const statuses = new Map<string, number>();
    const acceptedByKid = new Map<string, number>();
    let failed = false;
    let finished = false;
    const users = [alice, bob, carol];
    const worker = async (n: number) => {
      while (!finished) {
        // Each request carries a token minted now, so it names whichever key is current.
        const token = await idp.accessToken(users[n % users.length]);
        const outcome = await call(token);
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
        if (outcome !== '200') failed = true;
        else acceptedByKid.set(kidOf(token), (acceptedByKid.get(kidOf(token)) ?? 0) + 1);
      }
    };
    // Waits until the newest key has signed PER_KEY accepted requests (or one has failed).
    const loadOnNewestKey = async () => {
      const newest = idp.publishedKids().at(-1) ?? '';
      while (!failed && (acceptedByKid.get(newest) ?? 0) < PER_KEY) {
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const rotator = async () => {
      try {
        for (let i = 0; i < ROTATIONS; i += 1) {
          await loadOnNewestKey();
          // Real rotations are far apart; step past the API's 30 s refetch cooldown between them.
          clock.advance(31_000);
          await idp.rotateKeys();
        }
        await loadOnNewestKey();
      } finally {
        finished = true;
      }
    };
    await Promise.all([rotator(), ...Array.from({ length: 8 }, (_, n) => worker(n))]);
    // Zero failures: requests naming a new kid while its refetch is in flight wait for it.
    const failures = [...statuses.keys()].filter((k) => k !== '200');
    expect(failures, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    const kids = idp.publishedKids();
    expect(kids).toHaveLength(ROTATIONS + 1);
    // Every key, the first and each rotated one, signed at least PER_KEY accepted requests.
    expect(kids.map((kid) => (acceptedByKid.get(kid) ?? 0) >= PER_KEY)).toEqual(
      kids.map(() => true),
    );
  }, 60_000);

  it('accepts tokens of the previous key after a rotation while it is still published', async () => {
    const old = await idp.accessToken(alice);
    clock.advance(31_000);
    await idp.rotateKeys();
    expect(await call(await idp.accessToken(alice))).toBe('200');
    expect(await call(old)).toBe('200');
  });

  it('a token no key could make pass (expired, no exp, another audience) does not delay a rotation', async () => {
    const stranger = await generateSigningKey('RS256', 'retired-long-ago');
    clock.advance(31_000);
    const expired = await idp.accessToken(alice, {
      key: stranger,
      issuedAt: Math.floor(clock.ms() / 1000) - 3600,
    });
    expect(await call(expired)).toBe('401 token_expired');
    // An access token in all but its missing `exp` (a scope marks it one, not an ID token).
    const noExp = await idp.sign({ iss: idp.issuer, sub: 'x', scope: 'openid' }, { kid: 'probe' });
    expect(await call(noExp)).toBe('401 token_malformed');
    await idp.rotateKeys();
    expect(await call(await idp.accessToken(alice))).toBe('200');
  });

  it('answers a new kid inside the cooldown after a plausible unknown-kid token 503 with Retry-After to its end (never 401), then accepts it', async () => {
    // Trade-off of the refetch cooldown (a flood of unknown kids costs one fetch per window): a
    // token that would pass but for its unknown kid, just before a rotation, delays the new key
    // to the end of the window, and the person is told to wait that long, not to sign in again.
    const stranger = await generateSigningKey('RS256', 'probe-unknown');
    clock.advance(31_000);
    const probe = await idp.accessToken(alice, { key: stranger });
    expect(await call(probe)).toBe('401 key_unknown');
    await idp.rotateKeys();
    const fresh = await idp.accessToken(alice);
    const refused = await fetch(`${api.url}/todos/?limit=5`, {
      headers: { authorization: `Bearer ${fresh}` },
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('key_refetch_deferred');
    expect(refused.headers.get('www-authenticate')).toBeNull();
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(30);
    clock.advance(wait * 1000);
    expect(await call(fresh)).toBe('200');
  });

  it('a rotation while another client floods made-up kids: 503 with a truthful Retry-After, then 200; one fetch per window', async () => {
    clock.advance(31_000);
    const fetchedBefore = idp.counters.jwks;
    const stranger = await generateSigningKey('RS256', 'flood');
    // Claims that would pass, issued now, under a new made-up kid each time.
    const [, payload, signature] = (await idp.accessToken(alice, { key: stranger })).split('.');
    const forged = () =>
      `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: randomUUID() })).toString('base64url')}.${payload}.${signature}`;
    const floodOutcomes = new Map<string, number>();
    let flooding = true;
    const flooder = async () => {
      while (flooding) {
        const outcome = await call(forged());
        floodOutcomes.set(outcome, (floodOutcomes.get(outcome) ?? 0) + 1);
      }
    };
    const flood = Promise.all([flooder(), flooder(), flooder()]);
    try {
      // The flood's first refetch found nothing: the gate is closed for one cooldown.
      const deadline = Date.now() + 10_000;
      while (!floodOutcomes.has('503 key_refetch_deferred')) {
        if (Date.now() > deadline)
          throw new Error(
            `the flood was never told to wait: ${JSON.stringify([...floodOutcomes])}`,
          );
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(idp.counters.jwks).toBe(fetchedBefore + 1);
      await idp.rotateKeys();
      const fresh = await idp.accessToken(alice);
      const refused = await fetch(`${api.url}/todos/?limit=5`, {
        headers: { authorization: `Bearer ${fresh}` },
      });
      expect(refused.status).toBe(503);
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(30);
      expect(refused.headers.get('www-authenticate')).toBeNull();
      // At the Retry-After the key is fetched (by the flood's next token or by this one).
      clock.advance(wait * 1000);
      expect(await call(fresh)).toBe('200');
    } finally {
      flooding = false;
      await flood;
    }
    // Never accepted, never a 5xx other than the wait; and the provider was asked once for the
    // first window, once more when it ended (finding the key), and at most once for the next.
    expect([...floodOutcomes.keys()].sort()).toEqual([
      '401 key_unknown',
      '503 key_refetch_deferred',
    ]);
    expect(idp.counters.jwks - fetchedBefore).toBeGreaterThanOrEqual(2);
    expect(idp.counters.jwks - fetchedBefore).toBeLessThanOrEqual(3);
  }, 30_000);

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
