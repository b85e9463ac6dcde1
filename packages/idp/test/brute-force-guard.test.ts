import { describe, expect, it } from 'vitest';
import type { BruteForceSettings } from '../src/realm/security.js';
import type { RealmUser } from '../src/realm/types.js';
import { BruteForceGuard } from '../src/sessions/brute-force.js';

/** Keycloak's defaults, turned on; each test changes what it needs. */
const KEYCLOAK: BruteForceSettings = {
  bruteForceProtected: true,
  permanentLockout: false,
  failureFactor: 30,
  waitIncrementSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 43200,
  quickLoginCheckMilliSeconds: 1000,
  minimumQuickLoginWaitSeconds: 60,
};

const alice = { id: 'alice-id' } as RealmUser;
const bob = { id: 'bob-id' } as RealmUser;

/** A guard on a frozen clock (milliseconds), moved by hand. */
function guard(settings: Partial<BruteForceSettings>) {
  const clock = { now: 1_000_000_000_000 };
  const g = new BruteForceGuard({ ...KEYCLOAK, ...settings }, () => clock.now);
  const tick = (ms: number): void => {
    clock.now += ms;
  };
  return { g, clock, tick };
}

/** How long `user` stays locked from now on, in whole seconds (probing second by second). */
function lockedFor(g: BruteForceGuard, clock: { now: number }, user: RealmUser): number {
  const start = clock.now;
  let seconds = 0;
  while (g.locked(user) && seconds < 100_000) {
    clock.now += 1000;
    seconds += 1;
  }
  clock.now = start;
  return seconds;
}

describe("BruteForceGuard follows Keycloak's DefaultBruteForceProtector", () => {
  it('waits waitIncrementSeconds × ⌊failures / failureFactor⌋, capped at maxFailureWaitSeconds', () => {
    const { g, clock, tick } = guard({ failureFactor: 3, maxFailureWaitSeconds: 150 });
    const waits: number[] = [];
    for (let i = 1; i <= 9; i++) {
      tick(200_000); // well apart: no quick-login rule, and past any wait
      g.failed(alice);
      waits.push(lockedFor(g, clock, alice));
    }
    // After the 3rd failure 60 s, after the 6th 120 s, after the 9th 180 s capped at 150 s.
    expect(waits).toEqual([0, 0, 60, 60, 60, 120, 120, 120, 150]);
    expect(g.locked(bob)).toBe(false);
  });

  it('locks a failure within quickLoginCheckMilliSeconds of the previous one for minimumQuickLoginWaitSeconds', () => {
    const { g, clock, tick } = guard({ minimumQuickLoginWaitSeconds: 30 });
    g.failed(alice);
    expect(g.locked(alice)).toBe(false);
    tick(500);
    g.failed(alice);
    expect(lockedFor(g, clock, alice)).toBeGreaterThanOrEqual(29);
    expect(lockedFor(g, clock, alice)).toBeLessThanOrEqual(30);
  });

  it('starts counting again after maxDeltaTimeSeconds without a failure', () => {
    const { g, tick } = guard({ failureFactor: 2, maxDeltaTimeSeconds: 60 });
    g.failed(alice);
    tick(61_000);
    g.failed(alice);
    expect(g.locked(alice)).toBe(false);
    tick(2_000);
    g.failed(alice);
    expect(g.locked(alice)).toBe(true);
  });

  it('forgets the failures after a completed sign-in', () => {
    const { g, tick } = guard({ failureFactor: 2 });
    g.failed(alice);
    g.succeeded(alice);
    tick(5_000);
    g.failed(alice);
    expect(g.locked(alice)).toBe(false);
  });

  it('with permanentLockout, the failureFactor-th failure locks for good and success does not undo it', () => {
    const { g, tick } = guard({ permanentLockout: true, failureFactor: 3 });
    for (let i = 0; i < 3; i++) {
      tick(5_000);
      g.failed(alice);
    }
    g.succeeded(alice);
    tick(365 * 24 * 3600 * 1000);
    expect(g.locked(alice)).toBe(true);
  });

  it('does nothing when bruteForceProtected is false', () => {
    const { g } = guard({ bruteForceProtected: false, failureFactor: 1 });
    for (let i = 0; i < 10; i++) g.failed(alice);
    expect(g.locked(alice)).toBe(false);
  });
});
