import type { BruteForceSettings } from '../realm/security.js';
import type { RealmUser } from '../realm/types.js';
import type { LoginGuard } from './context.js';

interface Failures {
  count: number;
  /** Milliseconds. */
  last: number;
  /** Milliseconds; no sign-in before this. */
  notBefore: number;
  permanent: boolean;
}

/**
 * Keycloak's brute-force detection, per user (Keycloak's `DefaultBruteForceProtector`):
 *
 * - Every wrong password counts a failure; a failure more than `maxDeltaTimeSeconds` after the
 *   previous one starts the count again.
 * - Temporary lockout: after each `failureFactor` failures the user waits
 *   `waitIncrementSeconds × ⌊failures / failureFactor⌋`, at most `maxFailureWaitSeconds`. A
 *   failure less than `quickLoginCheckMilliSeconds` after the previous one that earns no wait
 *   otherwise locks for `minimumQuickLoginWaitSeconds`.
 * - Permanent lockout: the `failureFactor`-th failure disables the user (until the dev IdP
 *   restarts; Keycloak until an administrator enables them); quick failures still lock briefly.
 * - A wrong OTP code counts like a wrong password; a completed sign-in (all factors) clears the
 *   count. While locked, the password is not even checked and the attempt does not count, and the
 *   answer is the one for a wrong password, so a locked account, a wrong password and an unknown
 *   user cannot be told apart.
 *
 * State is in memory, like every session of the dev IdP.
 */
export class BruteForceGuard implements LoginGuard {
  readonly #users = new Map<string, Failures>();

  constructor(
    private readonly settings: BruteForceSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `user` may not sign in now (temporarily or permanently locked). */
  locked(user: RealmUser): boolean {
    if (!this.settings.bruteForceProtected) return false;
    const entry = this.#users.get(user.id);
    if (!entry) return false;
    return entry.permanent || this.now() < entry.notBefore;
  }

  /** Records a wrong password or OTP code for `user`. */
  failed(user: RealmUser): void {
    const s = this.settings;
    if (!s.bruteForceProtected) return;
    const now = this.now();
    const entry = this.#users.get(user.id) ?? { count: 0, last: 0, notBefore: 0, permanent: false };
    this.#users.set(user.id, entry);
    const delta = entry.last > 0 ? now - entry.last : 0;
    const quick = entry.last > 0 && delta < s.quickLoginCheckMilliSeconds;
    entry.last = now;
    if (s.permanentLockout) {
      entry.count += 1;
      if (entry.count === s.failureFactor) entry.permanent = true;
      else if (quick) entry.notBefore = now + s.minimumQuickLoginWaitSeconds * 1000;
      return;
    }
    if (delta > s.maxDeltaTimeSeconds * 1000) entry.count = 0;
    entry.count += 1;
    let wait = s.waitIncrementSeconds * Math.floor(entry.count / s.failureFactor);
    if (wait === 0 && quick) wait = s.minimumQuickLoginWaitSeconds;
    if (wait > 0) {
      // Keycloak keeps `notBefore` in whole seconds.
      const notBeforeSeconds = Math.floor(now / 1000) + Math.min(s.maxFailureWaitSeconds, wait);
      entry.notBefore = notBeforeSeconds * 1000;
    }
  }

  /** Records a completed sign-in (every factor): the failure count starts again. */
  succeeded(user: RealmUser): void {
    const entry = this.#users.get(user.id);
    if (entry && !entry.permanent) this.#users.delete(user.id);
  }
}
