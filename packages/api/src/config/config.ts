import type { IssuerOptions, ProviderProfile } from '@todo-sso/auth';
import type { TrustProxy } from './trust-proxy.js';

export type { ProviderProfile } from '@todo-sso/auth';
export { ConfigError } from './config-error.js';

/**
 * Allowed clock skew with the IdPs, in seconds: used by the authenticator for `exp`/`nbf`/`iat`
 * and by subject revocations (a token's `iat` against our revocation time), so both agree.
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * One trusted token issuer: the auth package's own `IssuerOptions`, handed to the verifier as
 * configured, with the fields the API always sets made non-optional.
 */
export type IssuerConfig = Readonly<IssuerOptions> & {
  readonly audience: readonly string[];
  readonly profile: ProviderProfile;
  readonly verify: 'jwt' | 'introspect';
  /** DPoP for this issuer's tokens (`OIDC_DPOP`, RFC 9449): `off`, `allowed` or `required`. */
  readonly dpop: 'off' | 'allowed' | 'required';
  /**
   * This issuer's own authentication levels, weakest first (an `OIDC_ISSUERS` entry's
   * `acrLevels`); absent, `OIDC_ACR_LEVELS` ranks its tokens' `acr`.
   */
  readonly acrLevels?: readonly string[];
  /** The level of this issuer admin work asks for (`stepUpAcr`); absent, `STEP_UP_ACR`. */
  readonly stepUpAcr?: string;
};

/** Where the todos live: an embedded SQLite file (the default) or a PostgreSQL server. */
export type DatabaseConfig =
  | {
      readonly kind: 'sqlite';
      readonly file: string;
      /** How long a statement waits for another connection's write lock (default 5,000 ms). */
      readonly busyTimeoutMs?: number;
    }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /**
       * How long one statement of the request path may run (default `STATEMENT_TIMEOUT_MS`,
       * 10,000 ms); a connection silent 5,000 ms past it is closed (`db/deadlines.ts`).
       */
      readonly statementTimeoutMs?: number;
    };

/** What routes under `/admin/` require of the sign-in; `{}` when step-up is turned off. */
export interface StepUpRequirement {
  /**
   * `STEP_UP_ACR` (default `mfa`): the least authentication level, for an issuer with its own
   * levels the one its `stepUpAcr` names (RFC 9470 §3 `acr_values` of its tokens' challenge).
   */
  readonly acr?: string;
  /** `STEP_UP_MAX_AGE_SECONDS` (default 900): the oldest sign-in accepted. */
  readonly maxAge?: number;
}

/** The API's whole configuration, read once at start-up by `loadConfig` and frozen. */
export interface ApiConfig {
  /** Interface to listen on (`HOST`, default `0.0.0.0` so containers are reachable). */
  readonly host: string;
  /** TCP port (`PORT`, default 8000; 0 picks a free one). */
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly issuers: readonly IssuerConfig[];
  /**
   * Secret of the stateless DPoP server nonces (`DPOP_NONCE_SECRET`, RFC 9449 §8), shared by
   * every instance; unset, no nonce is asked for (but for proofs from before a restart on
   * SQLite, whose nonces are keyed per process: `dpop/nonces.ts`).
   */
  readonly dpopNonceSecret?: string;
  /** Client ids whose sessions the API serves: the accepted `aud` of logout tokens. */
  readonly logoutAudiences: readonly string[];
  /**
   * The product's own clients (`FIRST_PARTY_CLIENTS`, default `todo-ui,todo-cli`): every other
   * client a person's token names in `azp` is an agent they allowed, listed under `/me/agents`.
   */
  readonly firstPartyClients: readonly string[];
  /** Browser origins allowed by CORS (`CORS_ORIGINS`). */
  readonly corsOrigins: readonly string[];
  /** The public client the interactive docs sign in with (`OIDC_DOCS_CLIENT_ID`). */
  readonly docsClientId: string;
  /** The API's public base URL (`API_PUBLIC_URL`) when behind a proxy; else the request's. */
  readonly publicUrl?: string;
  /**
   * Tokens whose audience is the MCP resource alone (`<base>/mcp`, RFC 8707) are accepted by the
   * REST routes too (`API_ACCEPTS_MCP_TOKENS`, default true); false keeps agents to `/mcp`: the
   * REST routes then also refuse (403) any agent's token, even one naming their own audience.
   */
  readonly apiAcceptsMcpTokens: boolean;
  /** An external AuthZEN decision point deciding list and todo access (`AUTHZ_PDP_URL`). */
  readonly pdp?: { readonly url: string; readonly token?: string };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Which reverse proxies may set `X-Forwarded-*` (`TRUST_PROXY`): none, a hop count or addresses. */
  readonly trustProxy: TrustProxy;
  /** Largest accepted request body in bytes; larger is 413. */
  readonly bodyLimit: number;
  /**
   * Seconds a request has to arrive whole, header section and body (`REQUEST_TIMEOUT_SECONDS`);
   * a slower one is answered 408 and its connection closed.
   */
  readonly requestTimeoutSeconds: number;
  /**
   * Seconds a connection serving a request may go without a byte moving either way
   * (`CONNECTION_TIMEOUT_SECONDS`): a response the client does not read is dropped then.
   */
  readonly connectionTimeoutSeconds: number;
  /** Requests per minute per authenticated subject. */
  readonly rateLimitPerMinute: number;
  /**
   * Requests per minute per client address, counted before authentication (so failed ones
   * too); health and metrics are exempt, the back-channel logout receiver counts apart.
   */
  readonly rateLimitPerAddressPerMinute: number;
  /** How long a revocation is kept: the longest access-token lifetime of any issuer. */
  readonly revocationTtlSeconds: number;
  /**
   * Problem bodies of audience, issuer, token-type and claim-mapping refusals carry the
   * expected and the received values (`AUTH_EXPLAIN`; default on in the embedded development
   * setup only, off with `DATABASE_URL`, `NODE_ENV=production` or `ALLOW_SQLITE=true`): helpful
   * in development, but it tells any caller the configured issuer and audience.
   */
  readonly authExplain: boolean;
  /** Audit records older than this many days are deleted in the background (`AUDIT_RETENTION_DAYS`). */
  readonly auditRetentionDays: number;
  /** Denial records written per subject and minute; further ones are counted (`AUDIT_DENIALS_PER_MINUTE`). */
  readonly auditDenialsPerMinute: number;
  /**
   * The most lists one person may create (`MAX_LISTS_PER_PERSON`), counting their default list,
   * which is created on first use even past it: with the next bound, what bounds `GET /lists/`,
   * which answers every list of the caller.
   */
  readonly maxListsPerPerson: number;
  /** The most lists others may share with one person (`MAX_SHARED_LISTS_PER_PERSON`). */
  readonly maxSharedListsPerPerson: number;
  /** The IdP's admin API, `<server>/admin/realms/<realm>` (`IDP_ADMIN_URL`); default from the issuer. */
  readonly idpAdminUrl?: string;
  /**
   * Authentication levels, weakest first (`OIDC_ACR_LEVELS`, default `pwd,mfa`), of every
   * issuer without levels of its own ({@link IssuerConfig.acrLevels}).
   */
  readonly acrLevels: readonly string[];
  /** What every route under `/admin/` requires of the sign-in (RFC 9470); `{}` when off. */
  readonly stepUp: StepUpRequirement;
}
