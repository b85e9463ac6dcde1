import type { Challenge } from './authorization/decision.js';

/**
 * Stable reason codes of {@link AuthError}. Callers may `switch` on them; they are also the
 * `code` member of the RFC 9457 problem body and the label of failure metrics.
 */
export type AuthErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'request_invalid'
  | 'signature_invalid'
  | 'alg_not_allowed'
  | 'key_unknown'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'issuer_unknown'
  | 'audience_mismatch'
  | 'token_type_invalid'
  | 'token_revoked'
  | 'token_inactive'
  | 'insufficient_permission'
  | 'forbidden'
  | 'authentication_too_weak'
  | 'authentication_too_old'
  | 'idp_unavailable'
  | 'key_refetch_deferred'
  | 'logout_token_invalid'
  | 'dpop_proof_invalid'
  | 'dpop_nonce_required'
  | 'token_binding_mismatch';

/** HTTP status of every code: the single source of truth for the mapping. */
const STATUS: Readonly<Record<AuthErrorCode, 400 | 401 | 403 | 503>> = {
  token_missing: 401,
  token_malformed: 401,
  // RFC 6750 §3.1: invalid_request (e.g. a token sent by more than one method) SHOULD be 400.
  request_invalid: 400,
  signature_invalid: 401,
  alg_not_allowed: 401,
  key_unknown: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  issuer_unknown: 401,
  audience_mismatch: 401,
  token_type_invalid: 401,
  token_revoked: 401,
  token_inactive: 401,
  insufficient_permission: 403,
  // A refusal no grant to the person could lift (an agent's token on the app's own work).
  forbidden: 403,
  // RFC 9470 §3: a token whose authentication is too weak or too old is answered with 401.
  authentication_too_weak: 401,
  authentication_too_old: 401,
  // An identity-provider outage is not a bad token: 503, never 401 and never 500.
  idp_unavailable: 503,
  // A token whose key (kid) may be newer than the kept keys while their refetch waits out its
  // cooldown (a flood of made-up kids closes it): not decidable yet, so 503 with Retry-After
  // like an outage (RFC 9110 §15.6.4), but a code of its own, so it is not counted as one.
  key_refetch_deferred: 503,
  // OpenID Connect Back-Channel Logout 1.0 §2.8: a failed logout request is answered with 400.
  logout_token_invalid: 400,
  // RFC 9449 §7.1: a bad proof is `invalid_dpop_proof`, a missing or stale server nonce is
  // `use_dpop_nonce` (§8), a token bound to another key (or sent without its proof) `invalid_token`.
  dpop_proof_invalid: 401,
  dpop_nonce_required: 401,
  token_binding_mismatch: 401,
};

/** Every code, for metrics pre-registration and exhaustive tests. */
export const AUTH_ERROR_CODES: readonly AuthErrorCode[] = Object.freeze(
  Object.keys(STATUS) as AuthErrorCode[],
);

/** Options of the {@link AuthError} constructor. */
export interface AuthErrorOptions {
  /** The underlying error (a jose error, a fetch failure); never serialised into responses. */
  cause?: unknown;
  /** Permissions or roles the caller lacks (403 only); every one is named, not just the first. */
  missing?: readonly string[];
  /** The challenge of an authorization refusal; rendered by `authErrorResponse`. */
  challenge?: Challenge;
  /** The server nonce to send in `DPoP-Nonce` (RFC 9449 §8.1), with `dpop_nonce_required`. */
  nonce?: string;
  /** Seconds until trying again can succeed (`Retry-After`, RFC 9110 §10.2.3), with a 503. */
  retryAfterSec?: number;
}

/**
 * The one error family of `@todo-sso/auth`. `status` (and its Fastify alias `statusCode`) is
 * derived from `code`; `description` is safe to show to the client (it never contains a token).
 *
 * @example
 * ```ts
 * try { await authenticator.authenticate(token); }
 * catch (e) { if (isAuthError(e) && e.code === 'token_expired') refresh(); else throw e; }
 * ```
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: 400 | 401 | 403 | 503;
  readonly statusCode: number;
  readonly description: string;
  readonly missing?: readonly string[];
  readonly challenge?: Challenge;
  readonly nonce?: string;
  readonly retryAfterSec?: number;

  constructor(code: AuthErrorCode, description: string, options: AuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.status = STATUS[code];
    this.statusCode = this.status;
    this.description = description;
    if (options.missing !== undefined) this.missing = Object.freeze([...options.missing]);
    if (options.challenge !== undefined) this.challenge = options.challenge;
    if (options.nonce !== undefined) this.nonce = options.nonce;
    if (options.retryAfterSec !== undefined) this.retryAfterSec = options.retryAfterSec;
  }
}

/** Type guard for {@link AuthError}, robust across duplicated module instances. */
export function isAuthError(e: unknown): e is AuthError {
  if (e instanceof AuthError) return true;
  if (!(e instanceof Error) || e.name !== 'AuthError') return false;
  const code: unknown = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(STATUS, code);
}
