import type { AuthErrorCode } from '../errors.js';
import type { IssuerOptions } from '../options.js';

/** Stable codes of diagnostic findings; tools may `switch` on them. */
export type FindingCode =
  | 'config_invalid'
  | 'discovery_unreachable'
  | 'issuer_trailing_slash'
  | 'issuer_scheme'
  | 'issuer_host'
  | 'issuer_mismatch'
  | 'jwks_unreachable'
  | 'signing_key_missing'
  | 'signing_key_disclosed'
  | 'introspection_unsupported'
  | 'client_credentials_refused'
  | 'introspection_client_refused'
  | 'algorithm_not_allowed'
  | 'clock_skew'
  | 'dpop_unsupported'
  | 'step_up_level_unsupported'
  | 'dpop_token_unbound'
  | 'client_id_missing'
  | 'audience_mapper_missing'
  | 'audience_mismatch'
  | 'roles_missing'
  | 'lightweight_access_token'
  | 'id_token'
  | 'at_jwt_typ_required'
  | 'token_type_invalid'
  | 'token_expired'
  | 'key_unknown'
  | 'key_refetch_deferred'
  | 'signature_invalid'
  | 'token_malformed'
  | 'token_refused';

/**
 * Names an API setting in a fix: the single-issuer variable (`OIDC_AUDIENCE`), or, when the API
 * reads its issuers from `OIDC_ISSUERS`, the entry's field (`OIDC_ISSUERS[1].audience`): beside
 * OIDC_ISSUERS the single-issuer variables stop the API's start, so a fix must not advise them.
 */
export type SettingName = (field: string, variable: string) => string;

/** What to change, per identity provider and in the API's own configuration. */
export interface Fix {
  readonly keycloak: string;
  readonly authentik: string;
  /** The API-side change (environment variables), when there is one. */
  readonly config?: string;
}

/** One problem found. Never contains a token; claim values are shown bounded. */
export interface Finding {
  readonly code: FindingCode;
  /** Where it was found. */
  readonly check: 'config' | 'discovery' | 'keys' | 'clock' | 'token';
  readonly issuer?: string;
  /** One sentence saying what is wrong. */
  readonly summary: string;
  readonly expected?: string;
  readonly received?: string;
  /** The reason code the API answers with because of it, when it refuses a request. */
  readonly apiCode?: AuthErrorCode;
  readonly fix: Fix;
}

/** What was learned about one configured issuer. */
export interface IssuerReport {
  readonly issuer: string;
  readonly metadataUrl?: string;
  /** The `issuer` member the metadata advertises. */
  readonly advertisedIssuer?: string;
  readonly jwksUri?: string;
  readonly keys: readonly { kid?: string; alg?: string; kty?: string; usable: boolean }[];
  /** Local clock minus the IdP's `Date` header, in seconds (positive: local clock ahead). */
  readonly clockSkewSec?: number;
  /** The authenticator's own readiness verdict (what `/readyz` reports). */
  readonly ready: boolean;
}

/** The outcome of verifying a token exactly as the API does. */
export interface TokenReport {
  readonly accepted: boolean;
  /** The authenticator's reason code when it refused the token. */
  readonly refusal?: AuthErrorCode;
  readonly subject?: string;
  readonly username?: string;
  readonly roles?: readonly string[];
  readonly permissions?: readonly string[];
  /** Permissions the API's routes need that the token does not carry. */
  readonly missingPermissions?: readonly string[];
}

/** The whole diagnosis. `ok` is true exactly when there is no finding. */
export interface Diagnosis {
  readonly ok: boolean;
  readonly issuers: readonly IssuerReport[];
  readonly token?: TokenReport;
  readonly findings: readonly Finding[];
}

/**
 * The authentication level admin work asks of one issuer (RFC 9470 §3 `acr_values`), to check
 * against what its discovery document says it issues.
 */
export interface StepUpLevel {
  /** The level asked for (`STEP_UP_ACR`, or the issuer entry's `stepUpAcr`). */
  readonly acr: string;
  /** The issuer's levels, weakest first (`OIDC_ACR_LEVELS`, or the entry's `acrLevels`). */
  readonly levels: readonly string[];
  /** The setting that names the level, as a fix should name it. */
  readonly setting: string;
}

/** Options of `diagnose`. */
export interface DiagnoseOptions {
  /** The same issuer options the API hands to `createAuthenticator`. */
  readonly issuers: readonly IssuerOptions[];
  /** An access token to verify as the API would. */
  readonly token?: string;
  /** Permissions a person needs to use the API (the app's vocabulary); default none. */
  readonly requiredPermissions?: readonly string[];
  readonly fetch?: typeof fetch;
  /** Clock in milliseconds; default `Date.now`. */
  readonly now?: () => number;
  readonly httpTimeoutMs?: number;
  /**
   * The API reads its issuers from `OIDC_ISSUERS`: fixes name the entry's fields
   * (`OIDC_ISSUERS[0].audience`), since the single-issuer variables beside it stop the start.
   */
  readonly issuerList?: boolean;
  /** By issuer, the level admin work asks for; an issuer absent here is asked for none. */
  readonly stepUpLevels?: ReadonlyMap<string, StepUpLevel>;
}
