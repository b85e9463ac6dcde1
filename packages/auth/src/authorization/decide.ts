import { attributeValues, type Principal } from '../principal.js';
import { acrAskedAt, acrShortfall } from './acr-levels.js';
import type { Challenge, Decision, Denied } from './decision.js';
import type { DecisionContext, Requirement, Resource } from './requirement.js';

const ALLOWED: Decision = Object.freeze({ allowed: true, reason: 'allowed' });

const list = <T extends string>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : typeof value === 'string' ? [value as T] : (value as readonly T[]);

/** Why a token naming no client is refused where the app's own client is required. */
const NO_CLIENT =
  "The access token names no client (none of azp, client_id, cid or appid; RFC 9068 section 2.2), so it cannot be told from an agent's: sign in with the app's own client";

/** A 403 `insufficient_scope` refusal (RFC 6750 §3.1) naming what is missing. */
function forbidden(reason: Denied['reason'], description: string, missing: readonly string[]) {
  const challenge: Challenge = {
    scheme: 'Bearer',
    status: 403,
    error: 'insufficient_scope',
    description,
    scope: missing,
  };
  return { allowed: false, reason, description, missing, challenge } as const satisfies Denied;
}

/** A 401 `insufficient_user_authentication` refusal (RFC 9470 §3) asking for `acr`. */
function stepUp(
  reason: 'authentication_too_weak' | 'authentication_too_old',
  description: string,
  { maxAge }: Requirement,
  acr: string | undefined,
): Denied {
  const challenge: Challenge = {
    scheme: 'Bearer',
    status: 401,
    error: 'insufficient_user_authentication',
    description,
    ...(acr !== undefined && { acrValues: [acr] }),
    ...(maxAge !== undefined && { maxAge }),
  };
  return { allowed: false, reason, description, challenge };
}

/** A 401 `DPoP` challenge (RFC 9449 §7.1): the token must be bound and its proof must match. */
function senderConstraint(
  reason: 'sender_constraint_missing' | 'sender_constraint_mismatch',
  description: string,
  context: DecisionContext,
): Denied {
  const challenge: Challenge = {
    scheme: 'DPoP',
    status: 401,
    error: 'invalid_token',
    description,
    ...(context.dpopAlgorithms !== undefined && { algs: context.dpopAlgorithms }),
  };
  return { allowed: false, reason, description, challenge };
}

function checkSender(p: Principal, r: Requirement, c: DecisionContext): Denied | undefined {
  if (r.senderConstrained === undefined) return undefined;
  const bound = p.confirmation?.jkt;
  if (bound === undefined)
    return senderConstraint(
      'sender_constraint_missing',
      'This resource needs a DPoP-bound access token',
      c,
    );
  // RFC 9449 §7.1: the proof's key must be the one the token is bound to (`cnf.jkt`).
  if (c.proof?.jkt !== bound)
    return senderConstraint(
      'sender_constraint_mismatch',
      'The DPoP proof does not match the key the access token is bound to',
      c,
    );
  return undefined;
}

/** The refusal of a `firstParty` requirement: 403 without a scope, whatever the cause. */
function notFirstParty(description: string): Denied {
  const challenge: Challenge = {
    scheme: 'Bearer',
    status: 403,
    error: 'insufficient_scope',
    description,
  };
  return { allowed: false, reason: 'agent_not_allowed', description, challenge };
}

/**
 * `firstParty`: the token's client must be one of the app's own. A 403 `insufficient_scope`
 * (RFC 6750 §3.1: the request needs more than this token can ever carry) without a `scope`,
 * since no scope the agent could ask for would help.
 *
 * A token that names no client at all (none of `azp`, `client_id` (which RFC 9068 §2.2 requires
 * of a JWT access token), Okta's `cid` or Entra ID's `appid`) is refused the same way: nothing tells it from an agent's,
 * so it cannot be shown to be the app's own (fail closed), whatever the classifier says.
 */
function checkClient(p: Principal, r: Requirement, c: DecisionContext): Denied | undefined {
  if (r.firstParty === undefined) return undefined;
  if (p.clientId === undefined || p.clientId === '') return notFirstParty(NO_CLIENT);
  // Fail closed: without a classifier no client is known to be the app's own.
  if (c.isAgent !== undefined && !c.isAgent(p.clientId, p.issuer)) return undefined;
  return notFirstParty("Agents cannot do this: sign in with the app's own client");
}

function checkGrants(p: Principal, r: Requirement): Denied | undefined {
  if (r.admin && !p.isAdmin) return forbidden('admin_required', 'Administrators only', ['admin']);
  if (r.role !== undefined && !p.isAdmin && !p.roles.includes(r.role))
    return forbidden('role_missing', `Missing role: ${r.role}`, [r.role]);
  // The admin role bypasses permission checks (and only those, with role and attribute scope).
  const missing = p.isAdmin ? [] : list(r.permission).filter((x) => !p.permissions.includes(x));
  if (missing.length > 0)
    return forbidden('permission_missing', `Missing permission: ${missing.join(', ')}`, missing);
  return undefined;
}

function checkAttribute(p: Principal, r: Requirement, resource?: Resource): Denied | undefined {
  const name = r.attribute;
  if (name === undefined || p.isAdmin) return undefined;
  const own = attributeValues(p, name);
  if (own.length === 0)
    return forbidden('attribute_unassigned', `No ${name} is assigned to this account`, [name]);
  const wanted = list(resource?.attributes?.[name]);
  // No value on the resource means "every value": only those who span them all (admins).
  if (wanted.length === 0)
    return forbidden('attribute_out_of_scope', `Only your own ${name} is allowed`, [name]);
  const outside = wanted.filter((v) => !own.includes(v));
  if (outside.length > 0)
    return forbidden(
      'attribute_out_of_scope',
      `Only your own ${name} is allowed`,
      outside.map((v) => `${name}:${v}`),
    );
  return undefined;
}

/** Whether the caller is the resource's owner by identity (issuer and subject). */
function ownsByIdentity(p: Principal, resource?: Resource): boolean {
  const owner = resource?.owner;
  return owner !== undefined && owner.issuer === p.issuer && owner.subject === p.subject;
}

/**
 * Whether the caller holds `relation` to the resource: the app's facts, plus `owner` by
 * identity. Asked relation by relation, so a decision allocates no set of them.
 */
function holds(p: Principal, relation: string, resource?: Resource): boolean {
  if (resource?.relations?.includes(relation)) return true;
  return relation === 'owner' && ownsByIdentity(p, resource);
}

/** Whether the caller holds any relation at all to the resource. */
function holdsAny(p: Principal, resource?: Resource): boolean {
  return (resource?.relations?.length ?? 0) > 0 || ownsByIdentity(p, resource);
}

function checkRelation(p: Principal, r: Requirement, resource?: Resource): Denied | undefined {
  const wanted = list(r.relation);
  if (wanted.length === 0) return undefined;
  if (wanted.some((relation) => holds(p, relation, resource))) return undefined;
  const what = resource?.type ?? 'resource';
  return forbidden(
    'relation_missing',
    `Needs to be ${wanted.join(' or ')} of this ${what}`,
    wanted.map((relation) => `relation:${relation}`),
  );
}

function checkAuthentication(p: Principal, r: Requirement, c: DecisionContext): Denied | undefined {
  // RFC 9470 §3 `acr_values`: a level of the token's own issuer, in its own order.
  const asked = r.acr === undefined ? undefined : acrShortfall(p, r.acr, c);
  if (asked !== undefined)
    return stepUp('authentication_too_weak', `This needs a stronger sign-in (${asked})`, r, asked);
  if (r.maxAge !== undefined) {
    // No auth_time means the age cannot be known: refused (RFC 9470 §3, max_age).
    if (p.authTime === undefined || c.now - p.authTime > r.maxAge)
      return stepUp(
        'authentication_too_old',
        `This needs a sign-in within the last ${r.maxAge} seconds`,
        r,
        r.acr === undefined ? undefined : acrAskedAt(p.issuer, r.acr, c).asked,
      );
  }
  return undefined;
}

/**
 * THE authorization decision: may `principal` do what `requirement` describes to `resource`?
 * Pure: no I/O, no clock of its own, never throws. Checks run from "present the token
 * properly" to "sign in again": sender constraint (401 DPoP), the client (an agent's token,
 * 403), admin, role, permissions, attribute scope, relation (403 `insufficient_scope`), then
 * authentication strength and age (401 `insufficient_user_authentication`), so a step-up is
 * asked for only when it can help.
 *
 * @example
 * ```ts
 * const decision = decide(principal, { permission: 'todos:write', relation: ['owner', 'editor'] },
 *   { type: 'list', relations: ['editor'] }, { now: Date.now() / 1000 });
 * if (!decision.allowed) throw denialError(decision); // 403 insufficient_scope, reason code
 * ```
 */
export function decide(
  principal: Principal,
  requirement: Requirement,
  resource: Resource | undefined,
  context: DecisionContext,
): Decision {
  const denied =
    checkSender(principal, requirement, context) ??
    checkClient(principal, requirement, context) ??
    checkGrants(principal, requirement) ??
    checkAttribute(principal, requirement, resource) ??
    checkRelation(principal, requirement, resource) ??
    checkAuthentication(principal, requirement, context);
  if (denied === undefined) return ALLOWED;
  // A relationship-guarded resource the caller holds no relation to at all: whatever the
  // reason, its very existence is theirs to learn no more than its content.
  if (list(requirement.relation).length > 0 && !holdsAny(principal, resource))
    return { ...denied, hidden: true };
  return denied;
}

/** One question of a batch: a requirement and the resource it is asked about. */
export interface Question {
  readonly requirement: Requirement;
  readonly resource?: Resource;
}

/**
 * Many decisions for one caller at once, in the questions' order: what a screen may show
 * (every action on every list) decided in one call, with exactly the rules of {@link decide}.
 *
 * @example
 * ```ts
 * const [read, share] = decideAll(principal, [
 *   { requirement: { relation: ['owner', 'editor', 'viewer'] }, resource },
 *   { requirement: { permission: 'todos:write', relation: 'owner' }, resource },
 * ], { now });
 * ```
 */
export function decideAll(
  principal: Principal,
  questions: readonly Question[],
  context: DecisionContext,
): Decision[] {
  return questions.map((q) => decide(principal, q.requirement, q.resource, context));
}
