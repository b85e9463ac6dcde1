import type { Db } from '../db/database.js';

/**
 * Runs the store's writes (`save`) in the caller's transaction, with the audit record of the
 * change: `(save) => writeAndAudit(db, record, save)`. Returns what `save` returned.
 */
export type Commit<T> = (save: (tx: Db['kysely']) => Promise<T>) => Promise<T>;

export interface RevocationStoreOptions {
  readonly db: Db;
  /** PostgreSQL URL for the `LISTEN` connection; absent for SQLite. */
  readonly listenUrl?: string | undefined;
  readonly now: () => Date;
  /**
   * How long a revocation lasts: the longest access-token lifetime. Twice the clock tolerance is
   * added: a covered token may be issued up to that tolerance after the revocation, and passes
   * validation up to that tolerance after its `exp` (RFC 7519 §4.1.4 leeway).
   */
  readonly ttlSeconds: number;
  /** How often the whole set is reloaded (and expired rows deleted) as a safety net. */
  readonly refreshIntervalMs?: number;
  /**
   * Allowed clock skew in seconds (IdP and API, API instances): the authenticator's
   * `clockToleranceSec`. Default 30, the auth package's default.
   */
  readonly clockToleranceSeconds?: number;
  /**
   * Until when instances of the release before `role_revocations` may still share the database:
   * a role removal then also stores the `subject` revocation they apply (`revokeRole`).
   */
  readonly olderReleaseUntil?: Date | undefined;
}
