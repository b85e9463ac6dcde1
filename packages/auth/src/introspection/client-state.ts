import { randomUUID } from 'node:crypto';
import type { ResolvedIssuer, ResolvedSettings } from '../config.js';
import { AuthError, isAuthError } from '../errors.js';
import type { KeyStore } from '../jwks/key-store.js';
import type { AuthEvent } from '../options.js';
import { PROFILES } from '../profiles/index.js';
import { NO_VERDICT, tokenEndpointVerdict } from './hidden-refusal.js';
import { CLIENT_REFUSED, callIntrospection, refusesClient } from './introspect.js';

/** What the client state needs from the authenticator. */
export interface ClientStateContext {
  readonly settings: ResolvedSettings;
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly emit?: (event: AuthEvent) => void;
}

/**
 * Whether the provider accepts the API's introspection client (RFC 7662 §2.1), from the last
 * introspection answer observed. While it refuses the credentials, no token of an introspecting
 * issuer can be verified, so readiness reports the issuer unavailable, and for `jwksCooldownSec`
 * after a refusal requests are refused without asking the provider again (a refusal costs the
 * provider one call per cooldown, not one per request).
 *
 * Readiness reuses the last outcome. When none is younger than the cooldown (at start-up, before
 * any token; on an idle replica), it asks the provider once about a random string: RFC 7662
 * §2.2 answers a token it does not know with `active: false`, while bad client credentials are
 * refused (§2.1, RFC 6749 §5.2). So a wrong secret shows on `/readyz` before any token is sent,
 * and a replica taken out of rotation still sees the credentials fixed at the provider; the
 * provider is asked at most once per cooldown, whatever the number of probes.
 *
 * A provider that answers a client it does not authenticate `{"active": false}` (Authentik)
 * shows nothing by its answers: there `active: false` proves nothing about the client, and the
 * token endpoint is asked instead ({@link tokenEndpointVerdict}) when no answer showed the client
 * accepted within a cooldown, so a wrong secret is 503 and `/readyz` unavailable, not a 401 to
 * everyone.
 */
export class IntrospectionClientState {
  private refusedSinceAt?: number;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  private lastAskedAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  /** The last time an answer showed the client accepted (an active token, the token endpoint). */
  private acceptedAt = Number.NEGATIVE_INFINITY;
  private checking?: Promise<AuthError | undefined>;
  /** When the token endpoint was last asked about the client ({@link refusalBehindInactive}). */
  private verdictAskedAt = Number.NEGATIVE_INFINITY;
  /** Since when introspection calls fail without an answer (timeout, 5xx, network), or unset. */
  private unreachableSinceAt?: number;
  private readonly hidesRefusal: boolean;

  constructor(
    private readonly issuer: ResolvedIssuer,
    private readonly ctx: ClientStateContext,
  ) {
    this.hidesRefusal = PROFILES[issuer.profile].introspectionHidesRefusedClient;
  }

  /** Since when the provider refuses the client credentials, or `undefined`. */
  refusedSince(): number | undefined {
    return this.refusedSinceAt;
  }

  /**
   * Since when the introspection endpoint has given no answer (the last call, a request's or
   * readiness's, timed out or failed), or `undefined` once it answers again. Cached answers keep
   * serving meanwhile, as cached keys do in an outage, so readiness calls the issuer degraded.
   */
  unreachableSince(): number | undefined {
    return this.unreachableSinceAt;
  }

  /**
   * Throws the refusal without a provider call while the client was refused less than a
   * cooldown ago. Past it, the first caller asks the provider (and the cooldown restarts for the
   * others while it does), so accepted credentials are seen again within a cooldown.
   */
  assertNotRefused(): void {
    if (this.refusedSinceAt === undefined) return;
    const now = this.ctx.now();
    if (this.heardWithinCooldown(now)) throw this.refusal(now);
    this.lastAskedAt = now;
  }

  /**
   * The refusal, saying when the provider will be asked again (RFC 9110 §10.2.3 `Retry-After`):
   * a cooldown after it last answered or was asked, not the 5 s of an outage.
   */
  private refusal(now: number, cause?: unknown): AuthError {
    const next =
      Math.max(this.lastAnswerAt, this.lastAskedAt, this.verdictAskedAt) +
      this.ctx.settings.jwksCooldownMs;
    return new AuthError('idp_unavailable', CLIENT_REFUSED, {
      retryAfterSec: Math.max(1, Math.ceil((next - now) / 1000)),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /**
   * A failed call's error as the caller answers it: while the client is refused, the refusal
   * with when to try again ({@link refusal}); anything else unchanged.
   */
  withRetryAfter(error: unknown): unknown {
    if (this.refusedSinceAt === undefined || !isAuthError(error)) return error;
    if (error.code !== 'idp_unavailable' || error.description !== CLIENT_REFUSED) return error;
    return this.refusal(this.ctx.now(), error.cause);
  }

  /** Whether an outcome was observed, or the provider asked, less than a cooldown before `now`. */
  private heardWithinCooldown(now: number): boolean {
    const cooldown = this.ctx.settings.jwksCooldownMs;
    return now < this.lastAnswerAt + cooldown || now < this.lastAskedAt + cooldown;
  }

  /**
   * Records the outcome of an introspection call: any RFC 7662 answer (active or not) means
   * the client was accepted, except `active: false` where a refused client gets that answer
   * too (Authentik); a refusal of the client is recorded; an outage says nothing of the client
   * but is recorded as one ({@link unreachableSince}) until the endpoint answers again.
   */
  observe(error: unknown): void {
    const cause = isAuthError(error) ? error.cause : undefined;
    if (this.hidesRefusal && isAuthError(error) && error.code === 'token_inactive') return;
    const answered =
      error === undefined || (isAuthError(error) && error.code !== 'idp_unavailable');
    if (answered) {
      this.lastAnswerAt = this.ctx.now();
      this.acceptedAt = this.lastAnswerAt;
      this.refusedSinceAt = undefined;
      this.unreachableSinceAt = undefined;
    } else if (refusesClient(cause)) {
      this.lastAnswerAt = this.ctx.now();
      this.refusedSinceAt ??= this.lastAnswerAt;
      this.unreachableSinceAt = undefined;
    } else {
      this.unreachableSinceAt ??= this.ctx.now();
    }
  }

  /**
   * When no outcome was observed, nor the provider asked, for a cooldown, asks the provider
   * once about a random string (no token of anyone): `active: false` shows the client accepted.
   */
  async recheck(keys: KeyStore): Promise<void> {
    if (this.heardWithinCooldown(this.ctx.now())) return;
    this.inflight ??= this.probe(keys).finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
  }

  /**
   * What a failed introspection call means: for a provider that hides a refused client behind
   * `active: false` (Authentik), an inactive answer may be the refusal
   * ({@link refusalBehindInactive}); any other error is itself.
   */
  async unmask(error: unknown, keys: KeyStore): Promise<unknown> {
    if (!isAuthError(error) || error.code !== 'token_inactive') return error;
    return (await this.refusalBehindInactive(keys)) ?? error;
  }

  /**
   * For a provider that hides a refused client behind `active: false` (Authentik): whether the
   * client is refused, asked at the token endpoint when no answer showed it accepted within a
   * cooldown (shared by concurrent callers). Returns the refusal, or `undefined`.
   */
  private async refusalBehindInactive(keys: KeyStore): Promise<AuthError | undefined> {
    if (!this.hidesRefusal) return undefined;
    const cooldown = this.ctx.settings.jwksCooldownMs;
    const now = this.ctx.now();
    if (this.refusedSinceAt === undefined && now < this.acceptedAt + cooldown) return undefined;
    // Asked less than a cooldown ago (its answer said nothing of the client: an outage): the
    // state stands. Otherwise each made-up token would send the client secret there once more,
    // as many times as an attacker sends tokens (RFC 6749 §2.3.1 credentials, RFC 7662 §4).
    if (this.checking === undefined && now < this.verdictAskedAt + cooldown)
      return this.refusedSinceAt === undefined ? undefined : this.refusal(this.ctx.now());
    if (this.checking === undefined) this.verdictAskedAt = now;
    this.checking ??= this.askTokenEndpoint(keys).finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async askTokenEndpoint(keys: KeyStore): Promise<AuthError | undefined> {
    const verdict = await tokenEndpointVerdict(this.issuer, keys, {
      fetch: this.ctx.fetch,
      timeoutMs: this.ctx.settings.httpTimeoutMs,
    });
    if (verdict === NO_VERDICT)
      return this.refusedSinceAt === undefined ? undefined : this.refusal(this.ctx.now());
    this.observe(verdict);
    return verdict;
  }

  private async probe(keys: KeyStore): Promise<void> {
    this.lastAskedAt = this.ctx.now();
    const started = performance.now();
    try {
      const endpoint = await keys.introspectionEndpoint();
      try {
        await callIntrospection(this.issuer, endpoint, `probe-${randomUUID()}`, {
          fetch: this.ctx.fetch,
          timeoutMs: this.ctx.settings.httpTimeoutMs,
        });
      } catch (e) {
        throw await this.unmask(e, keys);
      }
      this.observe(undefined);
    } catch (e) {
      this.observe(e);
      // Told like a request's refusal, so the operator learns of it before any token is sent.
      if (isAuthError(e) && refusesClient(e.cause))
        this.ctx.emit?.({
          type: 'introspection',
          issuer: this.issuer.issuer,
          ok: false,
          cached: false,
          durationMs: performance.now() - started,
          error: e.description,
          clientRefused: true,
        });
    }
  }
}
