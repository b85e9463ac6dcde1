import { AuthError, type AuthErrorCode } from '../errors.js';
import type { Principal } from '../principal.js';
import { decide } from './decide.js';
import type { Denied } from './decision.js';
import type { DecisionContext, Requirement, Resource } from './requirement.js';

/** The error code (problem `code`, metrics label) of each refusal reason. */
const CODES: Readonly<Record<Denied['reason'], AuthErrorCode>> = {
  admin_required: 'insufficient_permission',
  // Not a permission the person could be granted: the client may not do this at all.
  agent_not_allowed: 'forbidden',
  role_missing: 'insufficient_permission',
  permission_missing: 'insufficient_permission',
  attribute_unassigned: 'insufficient_permission',
  attribute_out_of_scope: 'insufficient_permission',
  relation_missing: 'insufficient_permission',
  authentication_too_weak: 'authentication_too_weak',
  authentication_too_old: 'authentication_too_old',
  // RFC 9449 §7.1: an unbound token where DPoP is required, or a proof of another key.
  sender_constraint_missing: 'token_binding_mismatch',
  sender_constraint_mismatch: 'token_binding_mismatch',
};

/**
 * A refusal as the package's one error: the reason's code, the description, what is missing and
 * the challenge, so the app's error handler (`authErrorResponse`) answers it like any other.
 *
 * @example
 * ```ts
 * const decision = decide(principal, requirement, resource, context);
 * if (!decision.allowed) throw denialError(decision);
 * ```
 */
export function denialError(decision: Denied): AuthError {
  return new AuthError(CODES[decision.reason], decision.description, {
    ...(decision.missing !== undefined && { missing: decision.missing }),
    challenge: decision.challenge,
  });
}

/**
 * {@link decide}, throwing {@link denialError} on a refusal: for handlers that check a
 * resource-level requirement once the resource's facts are known.
 *
 * @example
 * ```ts
 * authorize(principal, { relation: ['owner', 'editor'] }, { type: 'list', relations }, { now });
 * ```
 */
export function authorize(
  principal: Principal,
  requirement: Requirement,
  resource: Resource | undefined,
  context: DecisionContext,
): void {
  const decision = decide(principal, requirement, resource, context);
  if (!decision.allowed) throw denialError(decision);
}
