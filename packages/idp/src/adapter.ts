import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt: number | undefined;
}

/** Called when a stored `Session` reaches its expiry (Keycloak's SSO session idle timeout). */
export type SessionExpiredHook = (session: AdapterPayload) => void;

/**
 * In-memory storage for sessions, grants, codes and tokens (`npm run idp` keeps them in memory,
 * as the issue asks). Unlike oidc-provider's built-in LRU adapter it sweeps expired entries on a
 * timer and reports expired sessions, so that session expiry can send back-channel logout tokens.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  readonly #timer: NodeJS.Timeout;
  onSessionExpired: SessionExpiredHook | undefined;

  constructor(sweepIntervalMs = 1000) {
    this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#entries.clear();
  }

  /** Removes expired entries, reporting expired sessions. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.#entries.delete(key);
        if (key.startsWith('Session:')) this.onSessionExpired?.(entry.payload);
      }
    }
  }

  /** The live entries whose key starts with `prefix` (`Session:` for every session). */
  *entries(prefix: string): Generator<[string, AdapterPayload]> {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (!key.startsWith(prefix)) continue;
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) continue;
      yield [key.slice(prefix.length), entry.payload];
    }
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) return undefined;
    return entry.payload;
  }

  /** Seconds until `key` expires (0 when absent or already expired). */
  ttl(key: string): number {
    const expiresAt = this.#entries.get(key)?.expiresAt;
    return expiresAt === undefined ? 0 : Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  }

  set(key: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    // oidc-provider states expiry as `exp` in whole seconds, and its own checks allow a clock
    // tolerance; the entry ends exactly at `exp` so that a session capped at its max lifespan
    // is gone at that second, not up to a second later.
    const expiresAt =
      typeof payload.exp === 'number'
        ? payload.exp * 1000
        : expiresIn
          ? Date.now() + expiresIn * 1000
          : undefined;
    this.#entries.set(key, { payload, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** The oidc-provider adapter class bound to this store. */
  adapterFor(): new (name: string) => Adapter {
    const store = this;
    return class StoreAdapter implements Adapter {
      readonly #name: string;

      constructor(name: string) {
        this.#name = name;
      }

      #key(id: string) {
        return `${this.#name}:${id}`;
      }

      async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        store.set(this.#key(id), payload, expiresIn);
        if (payload.grantId) {
          // The grant's index lives as long as the longest-lived entry in it.
          const grantKey = `grant:${payload.grantId}`;
          const ids = (store.get(grantKey)?.keys as string[] | undefined) ?? [];
          ids.push(this.#key(id));
          store.set(grantKey, { keys: ids }, Math.max(expiresIn, store.ttl(grantKey)));
        }
        if (payload.userCode) store.set(`userCode:${payload.userCode}`, { id }, expiresIn);
        if (this.#name === 'Session' && payload.uid)
          store.set(`sessionUid:${payload.uid}`, { id }, expiresIn);
      }

      async find(id: string) {
        return store.get(this.#key(id));
      }

      async findByUserCode(userCode: string) {
        const ref = store.get(`userCode:${userCode}`);
        return ref ? store.get(this.#key(ref.id as string)) : undefined;
      }

      async findByUid(uid: string) {
        const ref = store.get(`sessionUid:${uid}`);
        return ref ? store.get(this.#key(ref.id as string)) : undefined;
      }

      async consume(id: string) {
        const payload = store.get(this.#key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id: string) {
        store.delete(this.#key(id));
      }

      async revokeByGrantId(grantId: string) {
        const grantKey = `grant:${grantId}`;
        for (const key of (store.get(grantKey)?.keys as string[] | undefined) ?? []) {
          store.delete(key);
        }
        store.delete(grantKey);
      }
    };
  }
}
