import { decide, type Principal, type Requirement, type Resource } from '@todo-sso/auth';
import type { Relation } from '../db/schema.js';
import { subjectPrincipal } from './app-policy.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** What one AuthZEN relationship check is about (see {@link relationOutcome}). */
export interface RelationQuestion {
  readonly issuer: string;
  readonly subject: string;
  readonly permissions: readonly string[] | undefined;
  readonly isAdmin: boolean;
  readonly requirement: { readonly permission?: string; readonly relation?: readonly string[] };
  readonly relation: Relation | undefined;
  readonly resource: { readonly type: string; readonly id: string };
}

/** The core requirement of a rule's: the relations always, the permission when it is checked. */
function coreRequirement(
  rule: RelationQuestion['requirement'],
  checkPermission: boolean,
): Requirement {
  const { permission, relation } = rule;
  return {
    ...(relation !== undefined && { relation }),
    ...(permission !== undefined && checkPermission && { permission }),
  };
}

/** A relation as the resource's list of them, shared (the core only reads it). */
const HELD: Readonly<Record<string, readonly Relation[]>> = {
  owner: Object.freeze(['owner']),
  editor: Object.freeze(['editor']),
  viewer: Object.freeze(['viewer']),
};
const NONE: readonly Relation[] = Object.freeze([]);
const heldOf = (relation: Relation | undefined): readonly Relation[] =>
  !relation ? NONE : Object.hasOwn(HELD, relation) ? (HELD[relation] as Relation[]) : [relation];

/**
 * The relationship check of AuthZEN rule requirements for one request, decided by the
 * authorization core: the relations always, the permission only when the request states the
 * subject's permissions (admins bypass it). What every item of a batch shares is built once:
 * the subject's principal (kept while the next check is about the same subject, permissions
 * and admin flag) and each rule's core requirement; only the resource is per check.
 */
export function relationChecker(): (check: RelationQuestion) => {
  allowed: boolean;
  reason: string;
} {
  let last: { question: RelationQuestion; principal: Principal } | undefined;
  const requirements = new Map<RelationQuestion['requirement'], [Requirement, Requirement]>();
  const principalFor = (check: RelationQuestion): Principal => {
    const q = last?.question;
    if (
      last !== undefined &&
      q?.issuer === check.issuer &&
      q.subject === check.subject &&
      q.permissions === check.permissions &&
      q.isAdmin === check.isAdmin
    )
      return last.principal;
    const principal = subjectPrincipal({
      issuer: check.issuer,
      subject: check.subject,
      permissions: check.permissions,
      roles: check.isAdmin ? ['admin'] : [],
    });
    last = { question: check, principal };
    return principal;
  };
  return (check) => {
    let forRule = requirements.get(check.requirement);
    if (forRule === undefined) {
      forRule = [
        coreRequirement(check.requirement, false),
        coreRequirement(check.requirement, true),
      ];
      requirements.set(check.requirement, forRule);
    }
    const resource: Resource = {
      type: check.resource.type,
      id: check.resource.id,
      relations: heldOf(check.relation),
    };
    const decision = decide(
      principalFor(check),
      forRule[check.permissions === undefined ? 0 : 1],
      resource,
      { now: nowSeconds() },
    );
    return { allowed: decision.allowed, reason: decision.reason };
  };
}

/** One relationship check on its own (see {@link relationChecker}). */
export function relationOutcome(check: RelationQuestion): { allowed: boolean; reason: string } {
  return relationChecker()(check);
}
