/**
 * Stable reason codes of a decision. Callers may `switch` on them; a refusal's reason also
 * decides the challenge sent back.
 */
export type DecisionReason =
  | 'allowed'
  | 'admin_required'
  | 'agent_not_allowed'
  | 'role_missing'
  | 'permission_missing'
  | 'attribute_unassigned'
  | 'attribute_out_of_scope'
  | 'relation_missing'
  | 'authentication_too_weak'
  | 'authentication_too_old'
  | 'sender_constraint_missing'
  | 'sender_constraint_mismatch';

/** Every refusal reason, for exhaustive tests and metrics pre-registration. */
export const DENIAL_REASONS: readonly Exclude<DecisionReason, 'allowed'>[] = Object.freeze([
  'admin_required',
  'agent_not_allowed',
  'role_missing',
  'permission_missing',
  'attribute_unassigned',
  'attribute_out_of_scope',
  'relation_missing',
  'authentication_too_weak',
  'authentication_too_old',
  'sender_constraint_missing',
  'sender_constraint_mismatch',
]);

/**
 * The HTTP challenge a refusal sends: an RFC 6750 §3 `Bearer` challenge (`insufficient_scope`,
 * or RFC 9470 §3 `insufficient_user_authentication`) or an RFC 9449 §7.1 `DPoP` challenge.
 * Rendered into `WWW-Authenticate` in one place (`authErrorResponse`).
 */
export interface Challenge {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly status: 401 | 403;
  readonly error: 'insufficient_scope' | 'insufficient_user_authentication' | 'invalid_token';
  readonly description: string;
  /** RFC 6750 §3 `scope`: what the request needed. */
  readonly scope?: readonly string[];
  /** RFC 9470 §3 `acr_values`: the authentication level to ask the user for. */
  readonly acrValues?: readonly string[];
  /** RFC 9470 §3 `max_age`: the allowable elapsed time since authentication, in seconds. */
  readonly maxAge?: number;
  /** RFC 9449 §7.1 `algs`: the DPoP proof algorithms accepted. */
  readonly algs?: readonly string[];
}

/** A requirement is met. */
export interface Allowed {
  readonly allowed: true;
  readonly reason: 'allowed';
}

/** A requirement is not met: why, what is missing and the challenge to send. */
export interface Denied {
  readonly allowed: false;
  readonly reason: Exclude<DecisionReason, 'allowed'>;
  /** Safe to show to the caller. */
  readonly description: string;
  /** Permissions, roles or attributes the caller lacks. */
  readonly missing?: readonly string[];
  readonly challenge: Challenge;
  /**
   * The requirement guards the resource by relation and the caller holds none: an app answers
   * as if the resource did not exist (404), so a refusal leaks nothing of it.
   */
  readonly hidden?: true;
}

/** The result of {@link decide}: never thrown, always returned. */
export type Decision = Allowed | Denied;
