import { randomUUID } from 'node:crypto';
import type { ResolvedIssuer, ResolvedSettings } from '../config.js';
import { isAuthError } from '../errors.js';
import type { KeyStore } from '../jwks/key-store.js';
import { callIntrospection, refusesClient } from './introspect.js';

/** What the client state needs from the authenticator. */
export interface ClientStateContext {
  readonly settings: ResolvedSettings;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/**
 * Whether the provider accepts the API's introspection client (RFC 7662 §2.1), from the last
 * introspection answer observed. While it refuses the credentials, no token of an introspecting
 * issuer can be verified, so readiness reports the issuer unavailable. Readiness reuses the last
 * outcome: the provider is asked again only while refused, and at most once per
 * `jwksCooldownSec` (as a key store retries during an outage), so a replica taken out of
 * rotation, which gets no requests, still sees the credentials fixed at the provider.
 */
export class IntrospectionClientState {
  private refusedSinceAt?: number;
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;

  constructor(
    private readonly issuer: ResolvedIssuer,
    private readonly ctx: ClientStateContext,
  ) {}

  /** Since when the provider refuses the client credentials, or `undefined`. */
  refusedSince(): number | undefined {
    return this.refusedSinceAt;
  }

  /**
   * Records the outcome of an introspection call: any RFC 7662 answer (active or not) means
   * the client was accepted; a refusal of the client is recorded; an outage says nothing.
   */
  observe(error: unknown): void {
    const cause = isAuthError(error) ? error.cause : undefined;
    const answered =
      error === undefined || (isAuthError(error) && error.code !== 'idp_unavailable');
    if (answered) {
      this.lastAnswerAt = this.ctx.now();
      this.refusedSinceAt = undefined;
    } else if (refusesClient(cause)) {
      this.lastAnswerAt = this.ctx.now();
      this.refusedSinceAt ??= this.lastAnswerAt;
    }
  }

  /**
   * While refused and nothing was observed for a cooldown, asks the provider once about a
   * random string (no token of anyone): `active: false` shows the client is accepted again.
   */
  async recheck(keys: KeyStore): Promise<void> {
    if (this.refusedSinceAt === undefined) return;
    if (this.ctx.now() < this.lastAnswerAt + this.ctx.settings.jwksCooldownMs) return;
    this.inflight ??= this.probe(keys).finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
  }

  private async probe(keys: KeyStore): Promise<void> {
    try {
      const endpoint = await keys.introspectionEndpoint();
      await callIntrospection(this.issuer, endpoint, `probe-${randomUUID()}`, {
        fetch: this.ctx.fetch,
        timeoutMs: this.ctx.settings.httpTimeoutMs,
      });
      this.observe(undefined);
    } catch (e) {
      this.observe(e);
    }
  }
}
