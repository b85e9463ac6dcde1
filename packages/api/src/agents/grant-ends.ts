import type { Logger } from 'pino';
import type { IdpAdmin } from '../admin-idp/idp-admin.js';
import type { Db } from '../db/database.js';
import type { Owner } from '../db/schema.js';
import type { RevocationStore } from '../revocation/store.js';
import {
  type Backoff,
  GRANT_END_MAX_BACKOFF_MS,
  grantEndBackoff,
  keyOf,
  type PendingGauges,
  report,
} from './grant-end-backoff.js';
import { deleteGrantEnd, recordGrantEndFailure } from './grant-end-rows.js';

/** How often each instance asks the identity provider again to end the grants still pending. */
export const GRANT_END_RETRY_MS = 30_000;

/**
 * How far ahead of now a pending agent's tokens are refused (`RevocationStore.holdClient`),
 * moved forward on every retry: ten retries may fail to write before a token newly issued to
 * the agent could pass. Once the grant has ended, the agent's next sign-in is accepted when
 * this much time (plus the clock tolerance) has passed since the last retry.
 */
export const GRANT_END_HOLD_MS = 300_000;

type Tx = Db['kysely'];

/** An agent whose grant is still to end at the identity provider. */
interface Pending {
  readonly owner: Owner;
  readonly clientId: string;
  /** Failed attempts so far, on every instance (what the row says). */
  readonly attempts: number;
  readonly requestedAt: Date;
}

export interface AgentGrantEndsOptions {
  readonly db: Db;
  readonly revocations: RevocationStore;
  readonly idpAdmin: IdpAdmin;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly retryMs?: number;
  readonly holdMs?: number;
  /** The longest wait between attempts (default {@link GRANT_END_MAX_BACKOFF_MS}). */
  readonly maxBackoffMs?: number;
  /** Set every round: how many grant ends are pending, and the oldest one's age. */
  readonly gauges?: PendingGauges;
}

/**
 * Ending an agent fails closed when the identity provider cannot end its grant. Its consent and
 * grant live at the provider: while they do, its refresh token still obtains new access tokens,
 * which a revocation of the tokens issued until now would not cover. So the agent is written
 * down (`agent_grant_ends`, in the revocation's transaction) before the provider is asked; if
 * the provider does not end the grant, every token of the agent is refused, new ones included
 * (`RevocationStore.holdClient`: the same in-memory lookup as every revocation, stored, and
 * announced to the other instances), and every instance asks the provider again every
 * {@link GRANT_END_RETRY_MS}, moving the refusal forward each time, until it does. A restarted
 * instance moves it forward before it serves (`start`).
 */
export class AgentGrantEnds {
  readonly #options: AgentGrantEndsOptions;
  readonly #retryMs: number;
  readonly #holdMs: number;
  readonly #maxBackoffMs: number;
  /** Own failures only: an instance that cannot reach the provider must not delay others. */
  readonly #backoff = new Map<string, Backoff>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  /** Refusals being moved forward while a round waits on the provider. */
  #holds: Promise<unknown> | undefined;

  constructor(options: AgentGrantEndsOptions) {
    this.#options = options;
    this.#retryMs = options.retryMs ?? GRANT_END_RETRY_MS;
    this.#holdMs = options.holdMs ?? GRANT_END_HOLD_MS;
    this.#maxBackoffMs = options.maxBackoffMs ?? GRANT_END_MAX_BACKOFF_MS;
  }

  /** Whether the API can ask the provider of `issuer` to end a grant (Keycloak's admin API). */
  canEnd(issuer: string): boolean {
    return this.#options.idpAdmin.service?.target.issuer === issuer;
  }

  /** Writes down, in the revocation's transaction, that the agent's grant is to end. */
  async remember(tx: Tx, owner: Owner, clientId: string, now: Date): Promise<void> {
    const at = now.toISOString();
    await tx
      .insertInto('agent_grant_ends')
      .values({ issuer: owner.issuer, sub: owner.subject, client_id: clientId, requested_at: at })
      .onConflict((oc) =>
        oc.columns(['issuer', 'sub', 'client_id']).doUpdateSet({
          requested_at: at,
          attempts: 0,
          attempted_at: null,
          last_error: null,
        }),
      )
      .execute();
  }

  /** The provider ended the grant (or held none): nothing is pending any more. */
  async forget(owner: Owner, clientId: string): Promise<void> {
    const key = { issuer: owner.issuer, sub: owner.subject, clientId };
    await deleteGrantEnd(this.#options.db.kysely, key);
  }

  /** The person's own request failed: recorded like a round's attempt, backed off from now. */
  async failed(owner: Owner, clientId: string, reason: string): Promise<void> {
    this.#backoff.set(keyOf(owner, clientId), { failures: 1, at: this.#options.now().getTime() });
    // The refusal is committed and held: a row not written now is written by the next round.
    await this.#attempted(owner, clientId, reason).catch((e: Error) =>
      this.#options.logger.warn({ clientId, reason: e.message }, 'grant end attempt not recorded'),
    );
  }

  /** When a refusal held now runs out: {@link GRANT_END_HOLD_MS} from now. */
  holdUntil(): Date {
    return new Date(this.#options.now().getTime() + this.#holdMs);
  }

  /** Refuses every token of the agent issued until {@link GRANT_END_HOLD_MS} from now. */
  async hold(owner: Owner, clientId: string): Promise<void> {
    const until = this.holdUntil();
    await this.#options.revocations.holdClient(owner.issuer, owner.subject, clientId, until);
  }

  /** Holds every pending agent's refusal, then retries in the background (timer unref'd). */
  async start(): Promise<void> {
    for (const pending of await this.#pending()) await this.hold(pending.owner, pending.clientId);
    this.#timer = setInterval(() => void this.retry(), this.#retryMs);
    this.#timer.unref();
  }

  /**
   * One round: every pending agent's refusal moved forward, then the provider asked again for
   * each; ended (or no grant there), it is forgotten. While a round still waits on the provider
   * (each call may take the admin client's timeout), a call joins it and only moves the
   * refusals forward again: they must not lapse because the provider is slow.
   */
  retry(): Promise<void> {
    if (this.#round !== undefined) {
      this.#holds ??= this.#holdAll().finally(() => {
        this.#holds = undefined;
      });
      return this.#round;
    }
    this.#round = this.#retryAll().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#round;
    await this.#holds;
  }

  /** Moves every pending agent's refusal forward; the pending agents, or undefined if unread. */
  async #holdAll(): Promise<Pending[] | undefined> {
    const { logger } = this.#options;
    let pending: Pending[];
    try {
      pending = await this.#pending();
    } catch (error) {
      logger.warn({ err: error }, 'pending agent grant ends could not be read; retrying later');
      return undefined;
    }
    if (this.#options.gauges) report(this.#options.gauges, pending, this.#options.now());
    for (const { owner, clientId } of pending) {
      try {
        await this.hold(owner, clientId);
      } catch (error) {
        logger.warn(
          { issuer: owner.issuer, clientId, reason: (error as Error).message },
          "an agent's refusal could not be moved forward; retrying",
        );
      }
    }
    return pending;
  }

  async #retryAll(): Promise<void> {
    const { logger, idpAdmin, now } = this.#options;
    const pending = await this.#holdAll();
    if (pending === undefined) return;
    const keys = new Set(pending.map((p) => keyOf(p.owner, p.clientId)));
    for (const key of this.#backoff.keys()) if (!keys.has(key)) this.#backoff.delete(key);
    for (const { owner, clientId, attempts } of pending) {
      // Backing off: only the provider call waits, the refusal was moved forward above.
      const key = keyOf(owner, clientId);
      const last = this.#backoff.get(key);
      const at = now().getTime();
      if (last && at < last.at + grantEndBackoff(last.failures, this.#retryMs, this.#maxBackoffMs))
        continue;
      // A failed attempt: backed off from now, counted and its reason kept in the row, logged.
      const fail = async (reason: string, message: string) => {
        this.#backoff.set(key, { failures: (last?.failures ?? 0) + 1, at });
        await this.#attempted(owner, clientId, reason).catch(() => {});
        logger.warn({ issuer: owner.issuer, clientId, attempts: attempts + 1, reason }, message);
      };
      const service = idpAdmin.service;
      if (service === undefined || service.target.issuer !== owner.issuer) {
        await fail(
          "the identity provider's admin API is not configured for its issuer",
          "an agent's grant cannot be ended; its tokens stay refused, retrying later",
        );
        continue;
      }
      try {
        await service.revokeConsent(owner.subject, clientId);
        await this.forget(owner, clientId);
        this.#backoff.delete(key);
        logger.info(
          { issuer: owner.issuer, clientId },
          "agent's grant ended at the identity provider",
        );
      } catch (error) {
        await fail(
          (error as Error).message,
          "an agent's grant could not be ended at the identity provider; its tokens stay refused, retrying",
        );
      }
    }
  }

  async #pending(): Promise<Pending[]> {
    const rows = await this.#options.db.kysely
      .selectFrom('agent_grant_ends')
      .select(['issuer', 'sub', 'client_id', 'attempts', 'requested_at'])
      .orderBy('requested_at')
      .execute();
    return rows.map((r) => ({
      owner: { issuer: r.issuer, subject: r.sub },
      clientId: r.client_id,
      attempts: Number(r.attempts),
      requestedAt: new Date(r.requested_at),
    }));
  }

  /** A failed attempt: counted, timed (the backoff runs from it) and its reason kept. */
  async #attempted(owner: Owner, clientId: string, reason: string): Promise<void> {
    const key = { issuer: owner.issuer, sub: owner.subject, clientId };
    await recordGrantEndFailure(this.#options.db.kysely, key, reason, this.#options.now());
  }
}
