import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt: number | undefined;
}

/**
 * The kinds of entry a client creates without anyone signing in, each a few KB kept until it
 * expires (device codes 10 minutes, interactions 10 minutes): a flood of device authorization or
 * authorization requests grew the store, and the sweep walking it every second, without end.
 * Past {@link MAX_PENDING_PER_KIND} live entries of one kind, the oldest of that kind is dropped
 * (a device code or sign-in that old is then unknown, as an expired one is). Sessions, grants and
 * tokens, made only once someone signs in, are never dropped early: a grant's index losing an
 * entry would leave a token alive after its grant is revoked.
 */
const BOUNDED_KINDS: ReadonlySet<string> = new Set([
  'DeviceCode',
  'userCode',
  'Interaction',
  'PushedAuthorizationRequest',
  'BackchannelAuthenticationRequest',
]);

/** Live entries of one bounded kind kept at most (see {@link BOUNDED_KINDS}). */
export const MAX_PENDING_PER_KIND = 10_000;

/** Called when a stored `Session` reaches its expiry (Keycloak's SSO session idle timeout). */
export type SessionExpiredHook = (session: AdapterPayload) => void;

/**
 * In-memory storage for sessions, grants, codes and tokens (`npm run idp` keeps them in memory,
 * as the issue asks). Unlike oidc-provider's built-in LRU adapter it sweeps expired entries on a
 * timer and reports expired sessions, so that session expiry can send back-channel logout tokens.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  /** The keys of each bounded kind, oldest first. */
  readonly #bounded = new Map<string, Set<string>>();
  readonly #timer: NodeJS.Timeout;
  readonly #maxPerKind: number;
  onSessionExpired: SessionExpiredHook | undefined;

  constructor(sweepIntervalMs = 1000, maxPerKind = MAX_PENDING_PER_KIND) {
    this.#maxPerKind = maxPerKind;
    this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.#timer.unref();
  }

  /** The key set of `key`'s kind when that kind is bounded. */
  #boundedSet(key: string): Set<string> | undefined {
    const kind = key.slice(0, key.indexOf(':'));
    if (!BOUNDED_KINDS.has(kind)) return undefined;
    let keys = this.#bounded.get(kind);
    if (keys === undefined) {
      keys = new Set();
      this.#bounded.set(kind, keys);
    }
    return keys;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#entries.clear();
    this.#bounded.clear();
  }

  /** Removes expired entries, reporting expired sessions. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.delete(key);
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
    const keys = this.#boundedSet(key);
    if (keys === undefined || keys.has(key)) return;
    keys.add(key);
    if (keys.size > this.#maxPerKind) {
      const [oldest] = keys;
      if (oldest !== undefined) this.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
    this.#boundedSet(key)?.delete(key);
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
