/** Where a sign-in stands between its steps (password, required actions, OTP). */
export interface PendingLogin {
  userId: string;
  /** Authentication methods done so far (RFC 8176 values). */
  amr: string[];
  /** The session was already signed in and only needs a stronger factor. */
  stepUp: boolean;
  /** The secret offered on the authenticator enrolment page. */
  enrolSecret?: string;
  expiresAt: number;
}

/**
 * Sign-ins in progress, by interaction uid; kept in memory no longer than the interaction itself
 * (oidc-provider's `Interaction` TTL), so an abandoned sign-in leaves nothing behind.
 */
export class PendingLogins {
  readonly #entries = new Map<string, PendingLogin>();
  readonly #ttlMs: number;

  constructor(ttlSeconds: number) {
    this.#ttlMs = ttlSeconds * 1000;
  }

  get(uid: string): PendingLogin | undefined {
    const entry = this.#entries.get(uid);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(uid);
      return undefined;
    }
    return entry;
  }

  start(uid: string, init: Omit<PendingLogin, 'expiresAt'>): PendingLogin {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    const entry = { ...init, expiresAt: now + this.#ttlMs };
    this.#entries.set(uid, entry);
    return entry;
  }

  end(uid: string): void {
    this.#entries.delete(uid);
  }
}
