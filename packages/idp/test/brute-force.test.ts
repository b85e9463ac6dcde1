import { loadRealm } from '@todo-sso/idp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authorizationCodeLogin,
  Browser,
  passwordGrant,
  pkce,
  realmJson,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

const REDIRECT = 'http://localhost:3000/callback';
const INVALID = { error: 'invalid_grant', error_description: 'Invalid user credentials' };
const started: TestIdp[] = [];

afterAll(async () => {
  await Promise.all(started.map((idp) => idp.close()));
});

/**
 * The brute-force detection's clock, moved by the tests rather than slept through. Keycloak keeps
 * a lockout's end in whole seconds, so with the real clock a lock of N seconds lasted anywhere
 * between N - 1 and N: a failure late in a second (a 1 s lock recorded at x.990 s ends 10 ms
 * later) let the next attempt in (about one run in a hundred, more on a loaded machine), and a
 * slow machine could outlast a longer lock. This clock stands still in the middle of a second
 * until a test moves it.
 */
class GuardClock {
  #ms = Math.floor(Date.now() / 1000) * 1000 + 500;
  readonly now = (): number => this.#ms;
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** A dev IdP whose realm has these brute-force settings on top of the repository's realm. */
async function idpWith(
  settings: Record<string, unknown>,
): Promise<{ idp: TestIdp; clock: GuardClock }> {
  const clock = new GuardClock();
  const idp = await startTestIdp({
    realm: { ...realmJson(), ...settings },
    bruteForceClock: clock.now,
  });
  started.push(idp);
  return { idp, clock };
}

function loginPage(idp: TestIdp, username: string, password: string) {
  const { challenge } = pkce();
  return authorizationCodeLogin(
    idp,
    new Browser(),
    {
      client_id: 'todo-ui',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    username,
    password,
  );
}

describe('brute-force detection, as Keycloak', { timeout: 30_000 }, () => {
  it('is on in the dev realm, with Keycloak setting names', () => {
    const realm = loadRealm(realmJson() as never);
    expect(realm.bruteForceProtected).toBe(true);
    expect(realm.failureFactor).toBeGreaterThan(0);
    expect(realm.quickLoginCheckMilliSeconds).toBeGreaterThan(0);
  });

  it('with the dev realm, hundreds of wrong passwords in a burst lock the user: then the right one fails too', async () => {
    const idp = await startTestIdp();
    started.push(idp);
    const burst = await Promise.all(
      Array.from({ length: 200 }, (_, i) => passwordGrant(idp, 'alice', `guess-${i}`)),
    );
    expect(new Set(burst.map((r) => r.status))).toEqual(new Set([401]));
    const right = await passwordGrant(idp, 'alice');
    expect(right.status).toBe(401);
    expect(right.body).toEqual(INVALID);
    // Locking is per user: bob is not affected.
    expect((await passwordGrant(idp, 'bob')).status).toBe(200);
  });

  it('locks after failureFactor failures for waitIncrementSeconds, the same answer as an unknown user, then lets the user in', async () => {
    const { idp, clock } = await idpWith({
      bruteForceProtected: true,
      failureFactor: 3,
      waitIncrementSeconds: 2,
      quickLoginCheckMilliSeconds: 0,
    });
    for (let i = 0; i < 3; i++) expect((await passwordGrant(idp, 'carol', 'x')).status).toBe(401);
    const locked = await passwordGrant(idp, 'carol');
    const unknown = await passwordGrant(idp, 'no-such-user', 'carol');
    expect(locked).toEqual(unknown);
    expect(locked.body).toEqual(INVALID);
    // The login page says the same for a locked account and a wrong password.
    const page = await loginPage(idp, 'carol', 'carol');
    expect(page.code).toBeUndefined();
    expect(page.loginPage).toContain('Invalid username or password.');
    // Still locked just before the wait is over (its end is a whole second: 1.5 s from here).
    clock.advance(1_400);
    expect((await passwordGrant(idp, 'carol')).status).toBe(401);
    clock.advance(100);
    expect((await passwordGrant(idp, 'carol')).status).toBe(200);
  });

  it('counts failures at the login page too', async () => {
    const { idp } = await idpWith({
      bruteForceProtected: true,
      failureFactor: 2,
      waitIncrementSeconds: 60,
      quickLoginCheckMilliSeconds: 0,
    });
    for (let i = 0; i < 2; i++) {
      expect((await loginPage(idp, 'testuser', 'nope')).loginPage).toContain(
        'Invalid username or password.',
      );
    }
    expect((await loginPage(idp, 'testuser', 'testuser')).code).toBeUndefined();
    expect((await passwordGrant(idp, 'testuser')).status).toBe(401);
  });

  it('caps the wait at maxFailureWaitSeconds', async () => {
    const { idp, clock } = await idpWith({
      bruteForceProtected: true,
      failureFactor: 1,
      waitIncrementSeconds: 600,
      maxFailureWaitSeconds: 1,
      quickLoginCheckMilliSeconds: 0,
    });
    await passwordGrant(idp, 'alice', 'x');
    expect((await passwordGrant(idp, 'alice')).status).toBe(401);
    clock.advance(400);
    expect((await passwordGrant(idp, 'alice')).status).toBe(401);
    clock.advance(100);
    expect((await passwordGrant(idp, 'alice')).status).toBe(200);
  });

  it('locks a quick second failure for minimumQuickLoginWaitSeconds', async () => {
    const { idp, clock } = await idpWith({
      bruteForceProtected: true,
      failureFactor: 30,
      quickLoginCheckMilliSeconds: 5000,
      minimumQuickLoginWaitSeconds: 4,
    });
    await passwordGrant(idp, 'bob', 'x');
    expect((await passwordGrant(idp, 'bob')).status).toBe(200);
    await passwordGrant(idp, 'bob', 'x');
    await passwordGrant(idp, 'bob', 'y');
    expect((await passwordGrant(idp, 'bob')).status).toBe(401);
    clock.advance(3_400);
    expect((await passwordGrant(idp, 'bob')).status).toBe(401);
    clock.advance(100);
    expect((await passwordGrant(idp, 'bob')).status).toBe(200);
  });

  it('forgets failures older than maxDeltaTimeSeconds, and a successful sign-in clears them', async () => {
    const { idp, clock } = await idpWith({
      bruteForceProtected: true,
      failureFactor: 2,
      waitIncrementSeconds: 60,
      maxDeltaTimeSeconds: 1,
      quickLoginCheckMilliSeconds: 0,
    });
    await passwordGrant(idp, 'alice', 'x');
    clock.advance(1_001);
    await passwordGrant(idp, 'alice', 'x');
    expect((await passwordGrant(idp, 'alice')).status).toBe(200);
    await passwordGrant(idp, 'alice', 'x');
    expect((await passwordGrant(idp, 'alice')).status).toBe(200);
    await passwordGrant(idp, 'alice', 'x');
    expect((await passwordGrant(idp, 'alice')).status).toBe(200);
  });

  it('with permanentLockout, failureFactor failures lock the user for good', async () => {
    const { idp, clock } = await idpWith({
      bruteForceProtected: true,
      permanentLockout: true,
      failureFactor: 2,
      quickLoginCheckMilliSeconds: 0,
    });
    await passwordGrant(idp, 'carol', 'x');
    await passwordGrant(idp, 'carol', 'x');
    clock.advance(86_400_000);
    const after = await passwordGrant(idp, 'carol');
    expect(after.status).toBe(401);
    expect(after.body).toEqual(INVALID);
  });

  it('with bruteForceProtected false, nothing is ever locked', async () => {
    const { idp } = await idpWith({ bruteForceProtected: false, failureFactor: 1 });
    for (let i = 0; i < 5; i++) await passwordGrant(idp, 'bob', 'x');
    expect((await passwordGrant(idp, 'bob')).status).toBe(200);
  });
});
