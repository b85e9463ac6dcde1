// Why this file is long: TTL, cooldown, in-flight sharing and the stale window interact, and
// keeping the key store's state machine in one place keeps it reviewable.
import type { ResolvedIssuer, ResolvedSettings } from '../config.js';
import { AuthError } from '../errors.js';
import { fetchJson, JWKS_ACCEPT } from '../http/fetch-json.js';
import type { AuthEvent, IssuerStatus, JwksFetchReason } from '../options.js';
import { discover, type IssuerMetadata } from './discovery.js';
import { importKeySet, keyFitsAlgorithm, type VerificationKey } from './import-key.js';

/** What a key store needs from its owner. */
export interface KeyStoreContext {
  readonly settings: ResolvedSettings;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly emit: (event: AuthEvent) => void;
}

/** Whether `after` holds a key that `before` did not (same kid and same key material). */
function addsKey(before: readonly VerificationKey[], after: readonly VerificationKey[]): boolean {
  if (after === before) return false;
  return after.some((k) => !before.some((b) => b.kid === k.kid && b.key.equals(k.key)));
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One issuer's metadata and keys: a TTL cache with one shared in-flight fetch, a cooldown
 * after an unknown-`kid` refetch that found no new key (a flood of made-up `kid`s costs at most
 * one fetch per window, a real rotation is picked up on first sight, and a token that may name a
 * key published inside the window is answered 503 until it ends, never 401: see
 * {@link KeyStore.undecided}) and bounded stale-if-error (the last good keys keep verifying for
 * `staleIfErrorSec` past their TTL while the IdP is unreachable, and the outage is reported by
 * {@link status}).
 */
export class KeyStore {
  private metadata?: IssuerMetadata;
  private keys: readonly VerificationKey[] = [];
  private loaded = false;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private outageSince?: number;
  private lastError?: string;
  private inflight?: Promise<void>;
  /** No unknown-kid refetch starts before this time (set by refetches that found nothing new). */
  private quietUntil = Number.NEGATIVE_INFINITY;
  /** When the fetch that brought the keys held now started (the set is as new as that). */
  private keysAskedAt = Number.NEGATIVE_INFINITY;
  /** The cooldown whose first deferred token was reported (one event per window). */
  private deferralReportedFor = Number.NEGATIVE_INFINITY;
  /** Keys are fetched in jwt mode, and in introspect mode once a logout token needs them. */
  private keysWanted: boolean;

  constructor(
    readonly issuer: ResolvedIssuer,
    private readonly ctx: KeyStoreContext,
  ) {
    this.keysWanted = issuer.verify === 'jwt';
  }

  /**
   * Finds the key for a JWS header, refreshing the set when needed and allowed. `beforeRefetch`
   * throws the token's refusal when no key could make it pass (expired, another audience, not an
   * access token): such a token, typically one of a key retired long ago, then costs no refetch,
   * and above all closes no cooldown that would delay a key rotated in next. It returns the
   * token's `iat` (seconds) when it has one: a token that passed those checks and whose key may
   * be newer than the keys held is answered 503 rather than 401 (see {@link undecided}).
   */
  async getKey(
    kid: string | undefined,
    alg: string,
    beforeRefetch?: () => number | undefined,
  ): Promise<VerificationKey> {
    if (!this.keysWanted) {
      // An introspecting issuer's back-channel logout tokens are still JWTs: load its keys now.
      this.keysWanted = true;
      this.loaded = false;
    }
    const now = this.ctx.now();
    if (!this.loaded || now >= this.fetchedAt + this.ctx.settings.jwksTtlMs) {
      await this.refresh(true, this.scheduledReason());
      // A metadata-only load that was already in flight does not count: load the keys too.
      if (!this.loaded) await this.refresh(true, 'startup');
    }
    const known = this.match(kid, alg);
    if (known !== undefined) return known;
    let existedBy: number | undefined;
    if (beforeRefetch !== undefined) {
      const iat = beforeRefetch();
      // The token existed when it arrived, and (its issuer's clock may run behind this API's by
      // up to the clock tolerance) by its `iat` plus that tolerance.
      const byIat =
        typeof iat === 'number' ? iat * 1000 + this.issuer.clockToleranceSec * 1000 : now;
      existedBy = Math.min(now, byIat);
    }
    const found = await this.refetchUntil(() => this.match(kid, alg), now);
    if (found === undefined) this.throwMissing(kid, alg, existedBy);
    return found;
  }

  /**
   * The keys fitting `alg` beyond `tried`, for a token without `kid` that none of `tried` (every
   * key held for `alg`) verifies: it may be signed by a key the issuer published after the set
   * was fetched (a rotation; without a `kid` there is no name to find unknown), so the set is
   * fetched again as for an unknown `kid` (OpenID Connect Core §10.1.1), at most one fruitless
   * refetch per cooldown, after `beforeRefetch` (which throws the token's refusal when no key
   * could make it pass). Empty when nothing new was found: the signature's refusal stands.
   * `arrivedAt`: when the token arrived (default now); a fetch begun since is not repeated.
   *
   * @throws {AuthError} `idp_unavailable` when the keys cannot be refreshed (an outage: the key
   *   may be newer, so nothing says the token is bad; a 503, never a 401).
   */
  async newKeys(
    alg: string,
    tried: readonly VerificationKey[],
    beforeRefetch?: () => number | undefined,
    arrivedAt = this.ctx.now(),
  ): Promise<VerificationKey[]> {
    const untried = () =>
      this.keys.filter((k) => keyFitsAlgorithm(k, alg) && !tried.some((t) => t.key.equals(k.key)));
    // Another request's refetch may have brought them meanwhile.
    if (untried().length > 0) return untried();
    beforeRefetch?.();
    await this.refetchUntil(() => untried()[0], arrivedAt);
    const found = untried();
    if (found.length === 0 && (!this.usable() || this.outageSince !== undefined))
      throw new AuthError('idp_unavailable', 'The identity provider keys cannot be refreshed', {
        cause: this.lastError,
      });
    return found;
  }

  /**
   * Unknown kid (or, without one, no held key verifies): the IdP may have rotated; `find` says
   * whether the set now holds the key. The refetch is rate-limited by its outcome, not by
   * the time of the last fetch: only a refetch that brought no new key (or failed) closes the
   * gate for one cooldown. So a key published a second after startup, a TTL refresh or a
   * productive refetch is fetched on first sight, while a flood of made-up kids (which can never
   * add a key) costs one fetch per window. A fetch already in flight is always shared; a fetch
   * that started at or after this request's arrival is as fresh as it can ask for.
   */
  private async refetchUntil(
    find: () => VerificationKey | undefined,
    arrivedAt: number,
  ): Promise<VerificationKey | undefined> {
    // Two rounds at most: a shared fetch that began before this request may predate the key.
    for (let round = 0; round < 2; round += 1) {
      if (this.inflight === undefined) {
        if (this.lastAttemptAt >= arrivedAt) return undefined;
        if (this.ctx.now() < this.quietUntil) return undefined;
      }
      const startedAt = this.inflight === undefined ? this.ctx.now() : this.lastAttemptAt;
      const before = this.keys;
      await this.refresh(false, 'unknown_kid');
      const found = find();
      if (found !== undefined) return found;
      if (!addsKey(before, this.keys))
        this.quietUntil = Math.max(this.quietUntil, startedAt + this.ctx.settings.jwksCooldownMs);
    }
    return undefined;
  }

  /** The store's clock, in ms since the epoch (a token's arrival, for {@link newKeys}). */
  now(): number {
    return this.ctx.now();
  }

  /** The key when fresh keys hold it, without any await (the hot path); else `undefined`. */
  peekKey(kid: string | undefined, alg: string): VerificationKey | undefined {
    if (!this.loaded || this.ctx.now() >= this.fetchedAt + this.ctx.settings.jwksTtlMs)
      return undefined;
    return this.match(kid, alg);
  }

  /**
   * The other keys of the set under the same `kid` that fit `alg`, besides `tried`: RFC 7517
   * §4.5 makes distinct kids a SHOULD only, so a `kid` may name more than one key; without a
   * `kid` (RFC 7515 §4.1.4: OPTIONAL) every key that fits `alg` may have signed the token. The
   * set is the issuer's, so their number is not the token's to choose. Usually none.
   */
  othersWithKid(kid: string | undefined, alg: string, tried: VerificationKey): VerificationKey[] {
    const others: VerificationKey[] = [];
    for (const k of this.keys)
      if (k !== tried && (kid === undefined || k.kid === kid) && keyFitsAlgorithm(k, alg))
        others.push(k);
    return others;
  }

  /** Introspection endpoint from discovery (loading metadata when needed). */
  async introspectionEndpoint(): Promise<string> {
    if (this.metadata === undefined) await this.refresh(true, this.scheduledReason());
    const endpoint = this.metadata?.introspectionEndpoint;
    if (endpoint === undefined)
      throw new AuthError('idp_unavailable', 'The issuer advertises no introspection endpoint');
    return endpoint;
  }

  /** Token endpoint from discovery (loading metadata when needed); `undefined` when none. */
  async tokenEndpoint(): Promise<string | undefined> {
    if (this.metadata === undefined) await this.refresh(true, this.scheduledReason());
    return this.metadata?.tokenEndpoint;
  }

  /** Loads metadata (and keys in jwt mode) if not yet loaded; true when usable. */
  async ensureLoaded(): Promise<boolean> {
    try {
      if (this.issuer.verify === 'introspect') {
        // The metadata ages as keys do: past the stale window, status() calls the issuer
        // unusable, so it is loaded again here (nothing else reloads an introspecting issuer's).
        if (this.metadata !== undefined && !this.usable()) await this.refresh(true, 'ttl');
        await this.introspectionEndpoint();
      } else if (!this.usable()) await this.refresh(true, this.scheduledReason());
    } catch {
      return false;
    }
    if (this.issuer.verify === 'introspect') return this.metadata !== undefined;
    // A JWKS without one usable signature key cannot verify anything: not ready.
    return this.usable() && this.keys.length > 0;
  }

  status(): IssuerStatus {
    const now = this.ctx.now();
    const stale = this.loaded && now >= this.fetchedAt + this.ctx.settings.jwksTtlMs;
    return {
      issuer: this.issuer.issuer,
      verify: this.issuer.verify,
      keysCached: this.issuer.verify === 'introspect' ? this.metadata !== undefined : this.loaded,
      keyCount: this.keys.length,
      ...(this.loaded ? { lastSuccessfulFetch: this.fetchedAt } : {}),
      ...(this.outageSince === undefined ? {} : { outageSince: this.outageSince }),
      stale,
      usable: this.usable(),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Why a load that no unknown kid asked for happens: the first one, or the keys' TTL. */
  private scheduledReason(): JwksFetchReason {
    return this.loaded ? 'ttl' : 'startup';
  }

  private usable(): boolean {
    if (!this.loaded) return false;
    const s = this.ctx.settings;
    return this.ctx.now() < this.fetchedAt + s.jwksTtlMs + s.staleIfErrorMs;
  }

  /**
   * During an outage, retry at most once per cooldown; before any key was ever loaded, at most
   * every 5 s (so an API started before its IdP recovers quickly).
   */
  private retryAllowed(): boolean {
    const gap = this.loaded
      ? this.ctx.settings.jwksCooldownMs
      : Math.min(this.ctx.settings.jwksCooldownMs, 5000);
    return this.ctx.now() >= this.lastAttemptAt + gap;
  }

  private match(kid: string | undefined, alg: string): VerificationKey | undefined {
    if (kid !== undefined) return this.keys.find((k) => k.kid === kid && keyFitsAlgorithm(k, alg));
    // No kid (RFC 7515 §4.1.4: OPTIONAL): the first key that fits `alg`, then the others
    // ({@link othersWithKid}). Refusing a set of several such keys as ambiguous refused every
    // token of an issuer that signs without `kid` while it published two (a rotation), and a
    // refetch could not resolve it: 503 "the key may be newer" within each cooldown, while the
    // provider was up, then 401 `key_unknown`.
    return this.keys.find((k) => keyFitsAlgorithm(k, alg));
  }

  /**
   * The refusal of a token whose claims pass and whose `kid` the held keys lack, when those keys
   * were asked for before the token certainly existed (`existedBy`) and no refetch may start
   * now: `undefined` when the held set decides (it is newer than the token, so it would hold
   * the token's key: 401 `key_unknown`).
   *
   * Why 503 and not 401: the refetch cooldown bounds what a flood of made-up `kid`s costs the
   * provider (one fruitless fetch per window), but the provider may have rotated inside the
   * window, and nothing in an unverified token tells a real new `kid` from a made-up one.
   * RFC 7517 §4.5 has the verifier look the `kid` up in the key set, and OpenID Connect Core
   * §10.1.1 has it fetch the set again on an unfamiliar `kid`: until it may, the token can be
   * neither verified nor refused, so it is not accepted (fail closed) and not called invalid
   * either. RFC 6750 §3.1 `invalid_token` would make the web app and the CLI drop a good token
   * and send the person to sign in again; a 503 with `Retry-After` (RFC 9110 §15.6.4,
   * §10.2.3) set to the end of the cooldown tells them to wait, and the first unknown `kid` past
   * it refetches (a flood's next token too), so the retry finds the key or a set newer than the
   * token (401 then). A flood's own tokens get the same 503, which costs nothing more. Its code,
   * `key_refetch_deferred`, is not `idp_unavailable`: the provider answers, and a flood counted
   * as an outage would page whoever watches for one.
   *
   * Considered and not taken: a budget of N refetches per window (a flood spends all N at once,
   * so the gap stays, N times the fetches); conditional requests to make a refetch cheap enough
   * for a short window (Keycloak's certs endpoint and Authentik's JWKS view send neither ETag nor
   * Last-Modified); a scheduled refresh ahead of the TTL (a key published before use is learnt
   * within the TTL already, and Keycloak signs with a new key as soon as it is added).
   */
  private undecided(existedBy: number | undefined): AuthError | undefined {
    if (existedBy === undefined || this.keysAskedAt >= existedBy) return undefined;
    const now = this.ctx.now();
    const retryAt = Math.max(this.quietUntil, now);
    if (this.deferralReportedFor !== this.quietUntil && now < this.quietUntil) {
      this.deferralReportedFor = this.quietUntil;
      this.ctx.emit({ type: 'unknown_kid_deferred', issuer: this.issuer.issuer, retryAt });
    }
    return new AuthError(
      'key_refetch_deferred',
      "The token's key (kid) may be newer than the identity provider keys held here, which are fetched again at most once per cooldown: try again after Retry-After",
      { retryAfterSec: Math.max(1, Math.ceil((retryAt - now) / 1000)) },
    );
  }

  private throwMissing(kid: string | undefined, alg: string, existedBy?: number): never {
    if (!this.usable())
      throw new AuthError('idp_unavailable', 'The identity provider keys cannot be loaded', {
        cause: this.lastError,
      });
    if (kid !== undefined && this.keys.some((k) => k.kid === kid))
      throw new AuthError('alg_not_allowed', `The key ${kid} cannot verify ${alg}`);
    // The last fetch failed: the key set may have changed since the one kept (a key rotated in
    // just before the outage), so nothing says the token is bad. RFC 6750 §3.1 invalid_token
    // would make the client drop a good token; the outage is a 503 (threat model: never a 401).
    if (this.outageSince !== undefined)
      throw new AuthError(
        'idp_unavailable',
        'The identity provider keys cannot be refreshed to find the token key (kid)',
        { cause: this.lastError },
      );
    const deferred = this.undecided(existedBy);
    if (deferred !== undefined) throw deferred;
    throw new AuthError('key_unknown', 'No trusted key matches the token (kid)');
  }

  /**
   * Refreshes metadata and keys through one shared in-flight promise. When the fetch fails and
   * `tolerateFailure` is set, the last good keys stay in use inside the stale window. `reason`
   * is reported with the fetch this call starts (a shared one keeps its starter's).
   */
  private async refresh(tolerateFailure: boolean, reason: JwksFetchReason): Promise<void> {
    if (this.inflight === undefined) {
      if (this.outageSince !== undefined && !this.retryAllowed()) {
        // Still in an outage and the cooldown has not passed: do not hammer the IdP.
        return this.afterFailure(tolerateFailure);
      }
      this.inflight = this.load(reason).finally(() => {
        this.inflight = undefined;
      });
    }
    try {
      await this.inflight;
    } catch {
      this.afterFailure(tolerateFailure);
    }
  }

  private afterFailure(tolerateFailure: boolean): void {
    if (tolerateFailure && this.usable()) {
      this.ctx.emit({
        type: 'stale_keys_used',
        issuer: this.issuer.issuer,
        outageSince: this.outageSince ?? 0,
      });
      return;
    }
    if (!tolerateFailure && this.loaded) return; // unknown kid during an outage: decided by match()
    throw new AuthError('idp_unavailable', 'The identity provider is unreachable', {
      cause: this.lastError,
    });
  }

  private async load(reason: JwksFetchReason): Promise<void> {
    const http = { fetch: this.ctx.fetch, timeoutMs: this.ctx.settings.httpTimeoutMs };
    const askedAt = this.ctx.now();
    this.lastAttemptAt = askedAt;
    const issuer = this.issuer.issuer;
    let started = performance.now();
    try {
      // Metadata is refetched with the keys once their TTL is over, not on every unknown kid.
      const metadataFresh = this.ctx.now() < this.fetchedAt + this.ctx.settings.jwksTtlMs;
      if (this.metadata === undefined || !metadataFresh) {
        try {
          this.metadata = await discover(this.issuer, http);
          this.ctx.emit({
            type: 'discovery_fetch',
            issuer,
            ok: true,
            durationMs: performance.now() - started,
          });
        } catch (e) {
          this.ctx.emit({
            type: 'discovery_fetch',
            issuer,
            ok: false,
            durationMs: performance.now() - started,
            error: describe(e),
          });
          throw e;
        }
      }
      const withKeys = this.keysWanted;
      if (withKeys) {
        const jwksUri = this.metadata.jwksUri;
        if (jwksUri === undefined) throw new Error('The issuer metadata has no jwks_uri');
        started = performance.now();
        try {
          const keys = importKeySet(
            await fetchJson(jwksUri, { ...http, accept: JWKS_ACCEPT }),
            this.issuer.algorithms,
          );
          this.keys = Object.freeze(keys);
          this.keysAskedAt = askedAt;
          this.ctx.emit({
            type: 'jwks_fetch',
            issuer,
            reason,
            ok: true,
            durationMs: performance.now() - started,
            keys: keys.length,
          });
        } catch (e) {
          this.ctx.emit({
            type: 'jwks_fetch',
            issuer,
            reason,
            ok: false,
            durationMs: performance.now() - started,
            error: describe(e),
          });
          throw e;
        }
      }
      this.loaded = withKeys || !this.keysWanted;
      this.fetchedAt = this.ctx.now();
      this.outageSince = undefined;
      this.lastError = undefined;
    } catch (e) {
      this.lastError = describe(e);
      this.outageSince ??= this.ctx.now();
      throw e;
    }
  }
}
