import { type Authenticator, createAuthenticator } from '@todo-sso/auth';
import { createRefusalExplainer, type RefusalExplainer } from '@todo-sso/auth/diagnose';
import type { Logger } from 'pino';
import { createIdpAdmin, type IdpAdmin } from './admin-idp/idp-admin.js';
import { AgentGrantEnds } from './agents/grant-ends.js';
import { AuditKeeper } from './audit/denial-audit.js';
import { type AccessGuard, accessGuard } from './authz/access.js';
import type { EngineFactory } from './authzen/engine.js';
import { type ApiConfig, CLOCK_TOLERANCE_SECONDS } from './config/config.js';
import { withApiDefaults } from './config/load.js';
import { type Db, openDatabase } from './db/database.js';
import { dpopNoncePolicy } from './dpop/nonces.js';
import { dpopReplayCache } from './dpop/replay-cache.js';
import { createLogger } from './http/logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import {
  clientRefusedLog,
  providerFailureLog,
  staleKeysLog,
  unknownKidDeferredLog,
} from './provider-failure-log.js';
import { TokenLifetimeCheck } from './revocation/lifetime-check.js';
import { openRevocations } from './revocation/open.js';
import type { RevocationStore } from './revocation/store.js';

/** The API's time source; tests hand in a fixed or stepped one. */
export interface Clock {
  now(): Date;
}

/** The real clock, the API's unless a test hands in another. */
export const SYSTEM_CLOCK: Clock = Object.freeze({ now: () => new Date() });

/**
 * A clock read in epoch milliseconds, as the per-request checks (token cache expiry, `max_age`)
 * read it: the system clock's is `Date.now`, which makes no `Date` on each request.
 */
export function clockMillis(clock: Clock): () => number {
  return clock === SYSTEM_CLOCK ? Date.now : () => clock.now().getTime();
}

/** Every dependency of the app, built once at start-up and handed to `buildApp`. */
export interface AppContext {
  readonly config: ApiConfig;
  readonly db: Db;
  readonly authenticator: Authenticator;
  readonly revocations: RevocationStore;
  /** Bounded denial records and audit retention. */
  readonly audit: AuditKeeper;
  /** The identity provider's admin API (Keycloak), or why it is unavailable. */
  readonly idpAdmin: IdpAdmin;
  /** Agents whose grant the identity provider has still to end: refused, and retried. */
  readonly agentGrantEnds: AgentGrantEnds;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Decides list and todo access: the relation table, or an external decision point. */
  readonly access: AccessGuard;
  /** Answers the AuthZEN endpoints instead of the app's own policy (tests load another). */
  readonly authzenEngine?: EngineFactory;
  /** Adds expected-versus-received values to refusals; only when `config.authExplain`. */
  readonly explainRefusal?: RefusalExplainer;
  /** Closes the authenticator, the revocation listener, the audit keeper and the database. */
  close(): Promise<void>;
}

/** Optional replacements for what `createContext` would otherwise build itself. */
export interface ContextOverrides {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
  /** How often audit retention runs (default hourly). */
  readonly auditPruneIntervalMs?: number;
  /** How often agents' pending grant ends are retried (default `GRANT_END_RETRY_MS`). */
  readonly agentGrantEndRetryMs?: number;
  /** Answers the AuthZEN endpoints with another policy (the certification fixture). */
  readonly authzenEngine?: EngineFactory;
}

export { CLOCK_TOLERANCE_SECONDS } from './config/config.js';

/** The authenticator of the API: its issuers, the revocation set, DPoP replay and nonces. */
function apiAuthenticator(
  config: ApiConfig,
  deps: {
    db: Db;
    newDatabase: boolean;
    store: RevocationStore;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
  },
  overrides: ContextOverrides,
): Authenticator {
  const { db, newDatabase, store, clock, logger, metrics } = deps;
  const lifetimes = new TokenLifetimeCheck(config.revocationTtlSeconds, logger);
  const providerLog = providerFailureLog(logger);
  const staleLog = staleKeysLog(logger);
  const deferredLog = unknownKidDeferredLog(logger);
  const refusedLog = clientRefusedLog(
    logger,
    new Map(config.issuers.map((i) => [i.issuer, i.clientId])),
    clockMillis(clock),
  );
  return createAuthenticator({
    issuers: config.issuers.map(withApiDefaults),
    // Every verified token passes here, cache hits included: its lifetime is checked against
    // how long revocations are kept, then the revocation set is consulted.
    revocation: {
      isRevoked(principal) {
        lifetimes.observe(principal);
        return store.isRevoked(principal);
      },
    },
    now: clockMillis(clock),
    // RFC 9449: used proofs in the database every instance shares (memory on SQLite, where a
    // proof from before start-up needs a nonce issued since).
    dpop: {
      replay: dpopReplayCache(db, () => clock.now(), clockMillis(clock)),
      clockToleranceSec: CLOCK_TOLERANCE_SECONDS,
      ...dpopNoncePolicy(config, { db, newDatabase }, clockMillis(clock), CLOCK_TOLERANCE_SECONDS),
    },
    ...(overrides.fetch && { fetch: overrides.fetch }),
    // Refusals are counted once, by the error handler, which sees every one of them.
    onEvent(event) {
      if (event.type === 'discovery_fetch' || event.type === 'jwks_fetch') providerLog(event);
      if (event.type === 'jwks_fetch') {
        metrics.jwksFetches.inc({
          issuer: event.issuer,
          outcome: event.ok ? 'ok' : 'error',
          reason: event.reason,
        });
      } else if (event.type === 'stale_keys_used') {
        staleLog(event);
      } else if (event.type === 'unknown_kid_deferred') {
        deferredLog(event);
      } else if (event.type === 'introspection') {
        refusedLog(event);
      }
    },
  });
}

/**
 * Opens the database, brings its schema up to date, loads the revocation set and starts
 * listening for new revocations, and builds the authenticator that consults it.
 *
 * @example
 * ```ts
 * const context = await createContext(loadConfig(process.env));
 * const app = await buildApp(context);
 * ```
 */
export async function createContext(
  config: ApiConfig,
  overrides: ContextOverrides = {},
): Promise<AppContext> {
  const clock = overrides.clock ?? SYSTEM_CLOCK;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const db = openDatabase(config.database);
  const [store, newDatabase] = await openRevocations(config, db, clock, logger);
  const authenticator = apiAuthenticator(
    config,
    { db, newDatabase, store, clock, logger, metrics },
    overrides,
  );
  const audit = new AuditKeeper({
    db,
    now: () => clock.now(),
    logger,
    denialsPerMinute: config.auditDenialsPerMinute,
    retentionDays: config.auditRetentionDays,
    ...(overrides.auditPruneIntervalMs && { pruneIntervalMs: overrides.auditPruneIntervalMs }),
  });
  audit.start();
  const idpAdmin = createIdpAdmin(config, {
    timeoutMs: 5000,
    now: () => clock.now().getTime(),
  });
  const agentGrantEnds = new AgentGrantEnds({
    db,
    revocations: store,
    idpAdmin,
    now: () => clock.now(),
    logger,
    gauges: { pending: metrics.grantEndsPending, oldest: metrics.grantEndOldest },
    ...(overrides.agentGrantEndRetryMs && { retryMs: overrides.agentGrantEndRetryMs }),
  });
  try {
    await agentGrantEnds.start();
  } catch (error) {
    await authenticator.close();
    await store.close();
    await audit.close();
    await db.close();
    throw error;
  }
  return {
    config,
    db,
    authenticator,
    revocations: store,
    audit,
    idpAdmin,
    agentGrantEnds,
    metrics,
    clock,
    logger,
    access: accessGuard({ pdp: config.pdp, ...(overrides.fetch && { fetch: overrides.fetch }) }),
    ...(overrides.authzenEngine && { authzenEngine: overrides.authzenEngine }),
    ...(config.authExplain && {
      explainRefusal: createRefusalExplainer(config.issuers.map(withApiDefaults), () =>
        clock.now().getTime(),
      ),
    }),
    async close() {
      await agentGrantEnds.close();
      await authenticator.close();
      await store.close();
      await audit.close();
      await db.close();
    },
  };
}
