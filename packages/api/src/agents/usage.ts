import type { Principal } from '@todo-sso/auth';
import type { onResponseHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import type { Db } from '../db/database.js';
import { autocommitOutcomeUnknown } from '../db/write-outcome.js';
import { agentClassifier } from './clients.js';
import { agentRepository } from './repository.js';

/** How often one instance writes the last use of one (person, agent): once a minute. */
export const USE_WRITE_INTERVAL_MS = 60_000;
/** Remembered write times above which the stale ones are dropped. */
const MAX_REMEMBERED = 10_000;

/**
 * Records when agents act for people, cheaply: nothing for the product's own clients, and for
 * an agent at most one write per (issuer, person, client) and minute on this instance — the
 * first call of a minute writes, the others are counted as the same use. The write happens
 * after the response and never fails a request.
 */
export class AgentUsage {
  readonly #repo;
  readonly #isAgent: (clientId: string | undefined, issuer?: string) => boolean;
  readonly #now: () => Date;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #intervalMs: number;
  readonly #dialect: string;
  /** `issuer \n sub \n client` → epoch ms of the last write. */
  readonly #written = new Map<string, number>();

  constructor(options: {
    db: Db;
    isAgent: (clientId: string | undefined, issuer?: string) => boolean;
    now: () => Date;
    logger: Pick<Logger, 'warn'>;
    intervalMs?: number;
  }) {
    this.#repo = agentRepository(options.db);
    this.#dialect = options.db.dialect;
    this.#isAgent = options.isAgent;
    this.#now = options.now;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? USE_WRITE_INTERVAL_MS;
  }

  /** Notes a verified caller; returns the pending write, if this call makes one. */
  seen(principal: Principal): Promise<void> | undefined {
    const clientId = principal.clientId;
    if (!this.#isAgent(clientId, principal.issuer)) return undefined;
    const key = `${principal.issuer}\n${principal.subject}\n${clientId}`;
    const now = this.#now();
    const last = this.#written.get(key);
    if (last !== undefined && now.getTime() - last < this.#intervalMs) return undefined;
    this.#written.set(key, now.getTime());
    if (this.#written.size > MAX_REMEMBERED) this.#forget(now.getTime());
    const owner = { issuer: principal.issuer, subject: principal.subject };
    return this.#repo.touch(owner, clientId as string, now).catch((error: Error) => {
      // Not written, or (the connection lost after the statement was sent) maybe written: the
      // next call tries again either way, an upsert that may repeat.
      this.#written.delete(key);
      this.#logger.warn(
        { err: error.message, clientId },
        autocommitOutcomeUnknown(this.#dialect, error)
          ? 'agent use may or may not have been recorded: the connection to the database was lost after it was sent'
          : 'agent use not recorded',
      );
    });
  }

  #forget(now: number): void {
    for (const [key, at] of this.#written)
      if (now - at >= this.#intervalMs) this.#written.delete(key);
  }
}

/**
 * The `onResponse` hook noting every authenticated request's client, for every route of the app
 * (the REST routes and `/mcp` alike): added at the root, it sees the principal whichever auth
 * plugin set it.
 */
export function recordAgentUse(context: AppContext): onResponseHookHandler {
  const usage = new AgentUsage({
    db: context.db,
    isAgent: agentClassifier(context.config),
    now: () => context.clock.now(),
    logger: context.logger,
  });
  // Callback style: most requests write nothing here, and need no promise to say so.
  return (request, _reply, done) => {
    const principal = (request as { principal?: Principal | null }).principal;
    const write = principal ? usage.seen(principal) : undefined;
    if (write === undefined) return done();
    write.then(() => done(), done);
  };
}
