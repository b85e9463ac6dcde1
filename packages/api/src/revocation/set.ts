import type { Revocation } from '../repositories/revocations.js';
import { NEVER, parseStringPair } from '../repositories/role-revocations.js';
import { type RoleHolder, RoleIndex } from './role-index.js';

/** The fields of a verified principal that revocation looks at. */
export interface RevocablePrincipal extends RoleHolder {
  readonly issuer: string;
  readonly subject: string;
  readonly sessionId?: string | undefined;
  /** `iat`, seconds since the epoch. */
  readonly issuedAt?: number | undefined;
  /** `azp`: the client the token was issued to. */
  readonly clientId?: string | undefined;
}

/** The `value` of a `client` revocation: the subject and the client, as JSON. */
export function clientRevocationValue(sub: string, clientId: string): string {
  return JSON.stringify([sub, clientId]);
}

/** Epoch milliseconds: tokens issued at or before `notBefore` are refused until `expiresAt`. */
interface Entry {
  notBefore: number;
  expiresAt: number;
}

/** issuer → value (`sid` or `sub`) → entry: lookups without building key strings. */
type Index = Map<string, Map<string, Entry>>;

/** The kinds whose `value` is the index key itself. */
const BY_VALUE = new Set<string>(['session', 'subject', 'sessionless']);

/**
 * The subject of a revocation of a kind this release does not know: the first element of a
 * JSON array value (as `client` and `role` values are), else the value itself.
 */
function subjectOfUnknown(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && typeof parsed[0] === 'string') return parsed[0];
  } catch {
    // Not JSON: the value is the subject, as `subject` and `sessionless` values are.
  }
  return value;
}

/**
 * The in-memory revocation set behind `RevocationStore.isRevoked`. Only grows (entries are
 * merged to the later times) until `prune` drops what has expired, so applying a broadcast and
 * reloading from the database can happen in any order.
 */
export class RevocationSet {
  readonly #byKind: Record<Exclude<Revocation['kind'], 'client' | 'role'>, Index> = {
    session: new Map(),
    subject: new Map(),
    sessionless: new Map(),
  };
  /** `client` revocations: issuer → `azp` → `sub` → entry (no key strings built per request). */
  readonly #byClient = new Map<string, Index>();
  readonly #roles = new RoleIndex();

  /**
   * Merges a revocation, stored or announced. A kind this release does not know (written by a
   * later one, sharing the database during a rolling upgrade) is held as a `subject` revocation
   * of its subject until its `notBefore` ({@link subjectOfUnknown}): the subject's tokens issued
   * up to it are refused, whatever narrower meaning the kind had (fail closed), and the kind
   * never stops this instance loading its set, as it did the release before (which threw).
   */
  add(r: Revocation): void {
    const expiresAt = Date.parse(r.expiresAt);
    const notBefore = Date.parse(r.notBefore);
    if (Number.isNaN(expiresAt) || Number.isNaN(notBefore)) return;
    if (r.kind === 'role') {
      const grantedAt = Date.parse(r.grantedAt ?? NEVER);
      if (Number.isNaN(grantedAt)) return;
      this.#roles.add(r.issuer, r.value, { removedAt: notBefore, grantedAt, expiresAt });
      return;
    }
    if (r.kind !== 'client') {
      const known = BY_VALUE.has(r.kind);
      const index = known ? this.#byKind[r.kind] : this.#byKind.subject;
      const key = known ? r.value : subjectOfUnknown(r.value);
      this.#put(index, r.issuer, key, { notBefore, expiresAt });
      return;
    }
    const parsed = parseStringPair(r.value);
    if (parsed === undefined) return;
    const [sub, clientId] = parsed;
    let clients = this.#byClient.get(r.issuer);
    if (clients === undefined) {
      clients = new Map();
      this.#byClient.set(r.issuer, clients);
    }
    this.#put(clients, clientId, sub, { notBefore, expiresAt });
  }

  /** Drops entries expired at `now` (epoch ms). */
  prune(now: number): void {
    for (const index of [...Object.values(this.#byKind), ...this.#byClient.values()]) {
      for (const [issuer, values] of index) {
        for (const [value, entry] of values) if (entry.expiresAt <= now) values.delete(value);
        if (values.size === 0) index.delete(issuer);
      }
    }
    for (const [issuer, clients] of this.#byClient)
      if (clients.size === 0) this.#byClient.delete(issuer);
    this.#roles.prune(now);
  }

  /**
   * Two or three map lookups; the clock is read only when an entry matches, so the common
   * case (nothing revoked for this caller) allocates nothing.
   */
  isRevoked(p: RevocablePrincipal, now: () => number, toleranceMs = 0): boolean {
    if (p.sessionId !== undefined) {
      const session = this.#byKind.session.get(p.issuer)?.get(p.sessionId);
      if (session !== undefined && session.expiresAt > now()) return true;
    }
    if (covers(this.#byKind.subject.get(p.issuer)?.get(p.subject), p, now, toleranceMs))
      return true;
    // An agent the person revoked: its tokens issued until then, whatever their session.
    if (
      p.clientId !== undefined &&
      covers(this.#byClient.get(p.issuer)?.get(p.clientId)?.get(p.subject), p, now, toleranceMs)
    )
      return true;
    // A role removed from the person, still carried by this token: whatever its `iat`.
    if (this.#roles.refuses(p, now)) return true;
    // A token without `sid` cannot show it belongs to another session than the one that ended.
    return (
      p.sessionId === undefined &&
      covers(this.#byKind.sessionless.get(p.issuer)?.get(p.subject), p, now, toleranceMs)
    );
  }

  #put(index: Index, key: string, value: string, entry: Entry): void {
    let values = index.get(key);
    if (values === undefined) {
      values = new Map();
      index.set(key, values);
    }
    const previous = values.get(value);
    values.set(value, {
      notBefore: Math.max(entry.notBefore, previous?.notBefore ?? 0),
      expiresAt: Math.max(entry.expiresAt, previous?.expiresAt ?? 0),
    });
  }
}

/**
 * A subject entry refuses tokens issued at or before it; without `iat`, fail closed. `iat` is
 * the IdP's clock and `notBefore` ours: the same clock-skew allowance that accepts a token
 * whose `iat` is slightly in the future (RFC 7519 §4.1.6, "some small leeway") is added here,
 * so a token issued just before the logout by an IdP whose clock runs ahead is still refused.
 * A sign-in within that window after the revocation is refused too: fail closed.
 */
function covers(
  entry: Entry | undefined,
  p: RevocablePrincipal,
  now: () => number,
  toleranceMs: number,
): boolean {
  if (entry === undefined || entry.expiresAt <= now()) return false;
  return p.issuedAt === undefined || p.issuedAt * 1000 <= entry.notBefore + toleranceMs;
}
