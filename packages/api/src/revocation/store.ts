// Why this file is long: every kind of revocation the API makes (sessions, subjects, agents,
// roles, back-channel logouts) is stored, announced and applied through this one store, so that none
// can skip the transaction, the announcement to the other instances or the in-memory set.
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/database.js';
import { ApiError } from '../http/problem.js';
import { type Revocation, revocationRepository } from '../repositories/revocations.js';
import { NEVER } from '../repositories/role-revocations.js';
import { inProcessBus, type RevocationBus } from './bus.js';
import { Freshness, scheduleReloads } from './freshness.js';
import type { Commit, RevocationStoreOptions } from './options.js';
import { postgresBus } from './postgres-bus.js';
import { clientRevocationValue, type RevocablePrincipal, RevocationSet } from './set.js';

export type { Commit, RevocationStoreOptions } from './options.js';
export type { RevocablePrincipal } from './set.js';

/**
 * Revoked sessions and subjects: stored in the database, pushed to every instance, and held in
 * memory so that `isRevoked` — called on every request, cache hits included — is a few map
 * lookups. Implements the auth package's `RevocationChecker`.
 */
export class RevocationStore {
  readonly #repo;
  readonly #db: Db;
  readonly #bus: RevocationBus;
  readonly #now: () => Date;
  /** `#now` in epoch ms, made once: `isRevoked` runs on every request. */
  readonly #nowMs = (): number => this.#now().getTime();
  readonly #ttlMs: number;
  readonly #refreshMs: number;
  readonly #toleranceMs: number;
  readonly #olderReleaseUntil: Date | undefined;
  readonly #set = new RevocationSet();
  readonly #fresh: Freshness;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RevocationStoreOptions) {
    this.#repo = revocationRepository(options.db);
    this.#db = options.db;
    this.#bus = options.listenUrl
      ? postgresBus(options.listenUrl)
      : inProcessBus(options.db.location);
    this.#now = options.now;
    this.#refreshMs = options.refreshIntervalMs ?? 30_000;
    this.#toleranceMs = (options.clockToleranceSeconds ?? 30) * 1000;
    this.#ttlMs = options.ttlSeconds * 1000 + 2 * this.#toleranceMs;
    this.#fresh = new Freshness(options.listenUrl === undefined);
    this.#olderReleaseUntil = options.olderReleaseUntil;
  }

  /**
   * Starts listening and loads the stored set; reloads it every second while the feed is down
   * or behind, and every `refreshIntervalMs` anyway (then deleting expired rows).
   */
  async start(): Promise<void> {
    await this.#bus.start({
      revocation: (revocation) => this.#apply(revocation),
      resync: () => {
        this.#fresh.resyncAsked();
        return this.reload(false);
      },
      current: (at) => this.#fresh.confirmed(at),
    });
    this.#timer = scheduleReloads(
      (full) => this.reload(full),
      () => !this.#bus.connected() || this.#fresh.resyncPending(),
      this.#refreshMs,
    );
  }

  /** True while new revocations reach this instance and the set is known complete. */
  listening(): boolean {
    return this.#bus.connected() && this.#fresh.current();
  }

  /**
   * Merges the database's set into memory and drops what has expired. Merging (never
   * replacing) keeps a revocation that arrived while the query ran: revocations only grow.
   * Rows are deleted from the database only once expired by the clock tolerance as well: every
   * instance prunes by its own clock, and one running behind it by up to that much still takes
   * a DPoP proof (RFC 9449 §11.1) or logout token (Back-Channel Logout 1.0 §2.6 step 8) until
   * its own clock reaches the row's expiry; its replay must still find the row.
   */
  async reload(deleteExpired = true): Promise<void> {
    const started = performance.now();
    const now = this.#now();
    if (deleteExpired) await this.#repo.prune(new Date(now.getTime() - this.#toleranceMs));
    for (const r of await this.#repo.active(now)) this.#set.add(r);
    this.#set.prune(now.getTime());
    this.#fresh.loaded(started);
  }

  /**
   * Synchronous hot path, consulted by the authenticator on every request (cache hits too).
   * A subject revocation refuses tokens issued at or before its not-before time (plus the clock
   * tolerance, as the IdP's clock may run ahead); one without `iat` is refused (fail closed).
   *
   * @throws {ApiError} `unavailable` (503) while neither the feed nor a reload has confirmed the
   *   set for `STALE_AFTER_MS`: a token revoked elsewhere meanwhile must not pass (fail closed).
   */
  isRevoked(principal: RevocablePrincipal): boolean {
    if (!this.#fresh.current())
      throw new ApiError('unavailable', 'Revocations cannot be confirmed: database unreachable');
    return this.#set.isRevoked(principal, this.#nowMs, this.#toleranceMs);
  }

  /**
   * Ends one session's tokens on every instance. With the session's subject, that subject's
   * tokens that carry no `sid` and were issued until now end too: they cannot be told apart
   * from the session's own (fail closed).
   */
  async revokeSession(issuer: string, sid: string, sub?: string): Promise<Revocation> {
    if (sub !== undefined) await this.#revoke(issuer, 'sessionless', sub);
    return this.#revoke(issuer, 'session', sid);
  }

  /** Ends every token of a subject issued up to now, on every instance. */
  revokeSubject(issuer: string, sub: string): Promise<Revocation> {
    return this.#revoke(issuer, 'subject', sub);
  }

  /**
   * Ends every token of a subject at each of `issuers`, issued up to now, all or nothing: `commit`
   * runs the rows and their announcement in the audit record's transaction (`writeAndAudit`): a
   * failure leaves nothing revoked, announced or audited. Memory and other instances learn of it
   * once committed.
   */
  async revokeSubjectAt(
    issuers: readonly string[],
    sub: string,
    commit: Commit<Revocation[]>,
  ): Promise<Revocation[]> {
    const now = this.#now();
    return this.#commitAll(
      issuers.map((issuer) => this.#revocation(issuer, 'subject', sub, now)),
      commit,
    );
  }

  /**
   * A role (or permission) removed from a person: their tokens that still carry it are refused
   * on every instance for as long as one could be valid (the revocation lifetime), whatever
   * their `iat`, and the next token, without it, passes whatever the provider's clock says
   * (`role-index.ts`). `commit` as for {@link revokeSubjectAt}.
   *
   * Rolling upgrade: the release before reads only `revocations` and throws on a kind it does
   * not know, so this is stored in `role_revocations`, which it never reads (its instances take
   * the announcement as a gap and reload their own table). Until `olderReleaseUntil` the
   * `subject` revocation that release wrote for a removal (tokens issued up to now by this
   * instance's clock, without the allowance for the provider's ahead) is stored as well, so that
   * its instances still refuse; this release applies that one too meanwhile.
   */
  revokeRole(
    issuer: string,
    sub: string,
    role: string,
    commit: Commit<Revocation[]>,
  ): Promise<Revocation[]> {
    const now = this.#now();
    const revocations: Revocation[] = [this.#role(issuer, sub, role, now, 'removed')];
    if (this.#olderReleaseUntil !== undefined && now < this.#olderReleaseUntil) {
      revocations.push({
        ...this.#revocation(issuer, 'subject', sub, now),
        notBefore: new Date(now.getTime() - this.#toleranceMs).toISOString(),
      });
    }
    return this.#commitAll(revocations, commit);
  }

  /**
   * A role granted to a person again: lifts its removal ({@link revokeRole}), so that their
   * tokens carrying it pass again, new ones and old. Kept as long as a removal would be, so that
   * a removal announced before it but read after cannot refuse again.
   */
  async restoreRole(
    issuer: string,
    sub: string,
    role: string,
    commit: Commit<Revocation[]>,
  ): Promise<Revocation> {
    const [granted] = await this.#commitAll(
      [this.#role(issuer, sub, role, this.#now(), 'granted')],
      commit,
    );
    return granted as Revocation;
  }

  /**
   * Ends every token a subject's client (an agent, `azp`) holds, issued up to now, on every
   * instance: `commit` runs the row and its announcement in the audit record's transaction
   * (`writeAndAudit`); memory and the other instances learn of it once committed (`NOTIFY` on
   * PostgreSQL, within a second). A later sign-in the person allows again is not affected: only
   * tokens whose `iat` is at or before now (plus the clock tolerance) are refused.
   */
  async revokeClient(
    issuer: string,
    sub: string,
    clientId: string,
    commit: Commit<Revocation>,
  ): Promise<Revocation> {
    const value = clientRevocationValue(sub, clientId);
    const revocation = this.#revocation(issuer, 'client', value, this.#now());
    await commit(async (tx) => {
      await this.#store(revocation, tx);
      return revocation;
    });
    this.#committed(revocation);
    return revocation;
  }

  /**
   * Refuses every token a subject's client (an agent) holds issued until `until`, a time ahead
   * of now: its tokens issued meanwhile too, new ones from a refresh included. Held this way
   * while the identity provider has not ended the agent's grant, and moved forward while it
   * still has not (`AgentGrantEnds`); once `until` has passed, tokens issued after it are
   * accepted again. Kept for the revocation lifetime after `until`. With `tx`, stored in the
   * caller's transaction and applied once `committed` is called; without, at once.
   */
  async holdClient(
    issuer: string,
    sub: string,
    clientId: string,
    until: Date,
    commit?: Commit<Revocation>,
  ): Promise<Revocation> {
    const revocation: Revocation = {
      issuer,
      kind: 'client',
      value: clientRevocationValue(sub, clientId),
      notBefore: until.toISOString(),
      expiresAt: new Date(until.getTime() + this.#ttlMs).toISOString(),
    };
    const save = async (tx: Db['kysely']) => {
      await this.#store(revocation, tx);
      return revocation;
    };
    await (commit ? commit(save) : this.#db.kysely.transaction().execute(save));
    this.#committed(revocation);
    return revocation;
  }

  /** Remembers a logout token's `jti`; false for a replay (Back-Channel Logout 1.0 §2.6 step 8). */
  claimLogoutJti(issuer: string, jti: string): Promise<boolean> {
    return this.#repo.claimJti(issuer, jti, new Date(this.#now().getTime() + this.#ttlMs));
  }

  /**
   * A back-channel logout, all or nothing: `commit` runs the `jti` claim (§2.6 step 8), the
   * revocation rows and their announcement in the transaction of the audit record
   * (`writeAndAudit`), so a failure leaves the `jti` unclaimed and nothing announced, and the
   * IdP's retry (§2.8) can still end the session. Memory and the other instances learn of it
   * only once it committed; a replay announces nothing. Returns `undefined` for a replay.
   * The `jti` is kept for the revocation lifetime, and at least until `acceptedUntil` (seconds
   * since the epoch), the last instant the token would pass validation: a shorter memory would
   * let the same token be accepted again (§2.6 step 8).
   */
  async logout(
    target: {
      issuer: string;
      jti: string;
      acceptedUntil: number;
      sessionId?: string | undefined;
      subject?: string;
    },
    commit: Commit<Revocation | false>,
  ): Promise<Revocation | undefined> {
    const { issuer } = target;
    const now = this.#now();
    const jtiExpiresAt = new Date(
      Math.max(now.getTime() + this.#ttlMs, (target.acceptedUntil + 1) * 1000),
    );
    // §2.4: with a sid, only that session ends (and the subject's sid-less tokens, which cannot
    // be told apart from it); with only a sub, all of the subject's tokens.
    const revocations: Revocation[] = [];
    if (target.sessionId !== undefined) {
      if (target.subject !== undefined)
        revocations.push(this.#revocation(issuer, 'sessionless', target.subject, now));
      revocations.push(this.#revocation(issuer, 'session', target.sessionId, now));
    } else if (target.subject !== undefined) {
      revocations.push(this.#revocation(issuer, 'subject', target.subject, now));
    } else {
      throw new TypeError('a logout needs a session id or a subject');
    }
    const main = revocations.at(-1) as Revocation;
    const committed = await commit(async (tx) => {
      if (!(await this.#repo.claimJti(issuer, target.jti, jtiExpiresAt, tx))) return false;
      for (const revocation of revocations) await this.#store(revocation, tx);
      return main;
    });
    if (committed === false) return undefined;
    for (const revocation of revocations) this.#committed(revocation);
    return main;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#bus.close();
  }

  #revocation(issuer: string, kind: Revocation['kind'], value: string, now: Date): Revocation {
    return {
      issuer,
      kind,
      value,
      notBefore: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#ttlMs).toISOString(),
    };
  }

  /** A role's removal or grant at `now`: the other time is the epoch's start. */
  #role(
    issuer: string,
    sub: string,
    role: string,
    now: Date,
    change: 'removed' | 'granted',
  ): Revocation {
    const at = now.toISOString();
    return {
      issuer,
      kind: 'role',
      value: JSON.stringify([sub, role]),
      notBefore: change === 'removed' ? at : NEVER,
      grantedAt: change === 'granted' ? at : NEVER,
      expiresAt: new Date(now.getTime() + this.#ttlMs).toISOString(),
    };
  }

  /**
   * Stores and announces `revocations` in `commit`'s transaction; applies them, as stored, once
   * committed.
   */
  async #commitAll(revocations: Revocation[], commit: Commit<Revocation[]>): Promise<Revocation[]> {
    const stored = await commit(async (tx) => {
      const rows: Revocation[] = [];
      for (const revocation of revocations) rows.push(await this.#store(revocation, tx));
      return rows;
    });
    for (const revocation of stored) this.#committed(revocation);
    return stored;
  }

  async #revoke(issuer: string, kind: Revocation['kind'], value: string): Promise<Revocation> {
    const revocation = this.#revocation(issuer, kind, value, this.#now());
    await this.#db.kysely.transaction().execute((tx) => this.#store(revocation, tx));
    this.#committed(revocation);
    return revocation;
  }

  /** Stores a revocation and announces it as stored, in the caller's transaction. */
  async #store(revocation: Revocation, tx: Db['kysely']): Promise<Revocation> {
    const stored = await this.#repo.save(revocation, tx);
    await this.#bus.announce(stored, tx);
    return stored;
  }

  /** Once the revocation's transaction committed: memory, and the in-process bus. */
  #committed(revocation: Revocation): void {
    this.#apply(revocation);
    this.#bus.committed(revocation);
  }

  #apply(revocation: Revocation): void {
    this.#set.add(revocation);
  }
}
