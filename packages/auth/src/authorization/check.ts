import { acrProblems, type IssuerAcrLevels } from './acr-levels.js';
import type { Requirement } from './requirement.js';

/** What a requirement is checked against when it is declared (at start-up). */
export interface RequirementVocabulary {
  /** The app's permissions; a requirement naming another one is a mistake. */
  readonly permissions?: readonly string[];
  /** The configured authentication levels, weakest first. */
  readonly acrLevels?: readonly string[];
  /** Issuers with levels of their own: a required `acr` must ask each for one of them. */
  readonly issuerAcrLevels?: ReadonlyMap<string, IssuerAcrLevels>;
}

const KEYS = new Set([
  'permission',
  'role',
  'admin',
  'firstParty',
  'relation',
  'attribute',
  'acr',
  'maxAge',
  'senderConstrained',
]);

/**
 * The mistakes in a declared requirement, empty when there is none: a permission outside the
 * app's table, an `acr` outside the configured levels (or asking an issuer with levels of its
 * own for one it lacks), a `maxAge` that is not a non-negative
 * integer, an unknown member (a typo would otherwise be a silently missing check).
 *
 * @example
 * ```ts
 * requirementProblems({ permission: 'todos:delete' }, { permissions: ['todos:read'] });
 * // → ['permission todos:delete is not in the permission table']
 * ```
 */
export function requirementProblems(
  requirement: Requirement,
  vocabulary: RequirementVocabulary,
  extraKeys: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(requirement)) {
    if (!KEYS.has(key) && !extraKeys.includes(key)) problems.push(`unknown member ${key}`);
  }
  const { permission, acr, maxAge } = requirement;
  const permissions = permission === undefined ? [] : [permission].flat();
  if (vocabulary.permissions !== undefined) {
    for (const p of permissions) {
      if (!vocabulary.permissions.includes(p))
        problems.push(`permission ${p} is not in the permission table`);
    }
  }
  if (acr !== undefined) problems.push(...acrProblems(acr, vocabulary));
  if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0))
    problems.push('maxAge must be a whole number of seconds ≥ 0');
  return problems;
}
