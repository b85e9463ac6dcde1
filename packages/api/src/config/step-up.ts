import type { IssuerAcrLevels } from '@todo-sso/auth';
import { type ApiConfig, ConfigError, type StepUpRequirement } from './config.js';

/** Authentication levels, weakest first, when `OIDC_ACR_LEVELS` is unset. */
const DEFAULT_ACR_LEVELS = ['pwd', 'mfa'] as const;

/** A variable explicitly set to nothing: the way to turn a default off. */
function setEmpty(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.trim() === '';
}

/**
 * Reads `OIDC_ACR_LEVELS`, `STEP_UP_ACR` and `STEP_UP_MAX_AGE_SECONDS` (RFC 9470). Unset takes
 * the default; set to the empty string turns that part of step-up off. The level must be one
 * of the configured levels: levels are compared by their order, never as strings.
 */
export function readStepUp(
  env: NodeJS.ProcessEnv,
  values: { OIDC_ACR_LEVELS?: string; STEP_UP_ACR?: string; STEP_UP_MAX_AGE_SECONDS?: string },
): { acrLevels: readonly string[]; stepUp: StepUpRequirement } {
  const acrLevels = values.OIDC_ACR_LEVELS
    ? values.OIDC_ACR_LEVELS.split(',').map((s) => s.trim())
    : [...DEFAULT_ACR_LEVELS];
  if (new Set(acrLevels).size !== acrLevels.length)
    throw new ConfigError('OIDC_ACR_LEVELS', 'names a level twice');
  const acr = setEmpty(env, 'STEP_UP_ACR') ? undefined : (values.STEP_UP_ACR ?? 'mfa');
  if (acr !== undefined && !acrLevels.includes(acr))
    throw new ConfigError(
      'STEP_UP_ACR',
      `must be one of OIDC_ACR_LEVELS (${acrLevels.join(', ')})`,
    );
  const maxAge = setEmpty(env, 'STEP_UP_MAX_AGE_SECONDS')
    ? undefined
    : Number(values.STEP_UP_MAX_AGE_SECONDS ?? 900);
  return {
    acrLevels,
    stepUp: { ...(acr !== undefined && { acr }), ...(maxAge !== undefined && { maxAge }) },
  };
}

/**
 * The step-up levels of each `OIDC_ISSUERS` entry that has its own (`acrLevels`, `stepUpAcr`),
 * checked once the defaults are known. Refused, naming the entry's field: an empty or repeated
 * level, a `stepUpAcr` outside the entry's levels, an entry whose own levels lack the
 * `STEP_UP_ACR` it would inherit (which level admin work asks of it would be a guess), and a
 * `stepUpAcr` beside `STEP_UP_ACR=` (the level check off for every issuer, yet asked of one).
 *
 * @throws {ConfigError} naming `OIDC_ISSUERS[i].acrLevels` or `OIDC_ISSUERS[i].stepUpAcr`.
 */
export function checkIssuerLevels(config: Pick<ApiConfig, 'issuers' | 'acrLevels' | 'stepUp'>) {
  config.issuers.forEach((issuer, index) => {
    const field = (name: string) => `OIDC_ISSUERS[${index}].${name}`;
    const own = issuer.acrLevels;
    if (own?.includes('')) throw new ConfigError(field('acrLevels'), 'names an empty level');
    if (own && new Set(own).size !== own.length)
      throw new ConfigError(field('acrLevels'), 'names a level twice');
    const levels = own ?? config.acrLevels;
    const where = `${own ? "this entry's acrLevels" : 'OIDC_ACR_LEVELS'} (${levels.join(', ')})`;
    const inherited = config.stepUp.acr;
    if (issuer.stepUpAcr === undefined) {
      if (inherited === undefined || levels.includes(inherited)) return;
      throw new ConfigError(
        field('stepUpAcr'),
        `is needed: STEP_UP_ACR (${inherited}) is not one of ${where}; name the level of this issuer that admin work asks for`,
      );
    }
    if (inherited === undefined)
      throw new ConfigError(
        field('stepUpAcr'),
        'is set but STEP_UP_ACR is empty, which turns the level check off for every issuer: unset STEP_UP_ACR, or remove stepUpAcr',
      );
    if (!levels.includes(issuer.stepUpAcr))
      throw new ConfigError(field('stepUpAcr'), `must be one of ${where}`);
  });
}

/**
 * The issuers whose tokens' `acr` is ranked in levels of their own, for the authorization core:
 * each with its levels and the level of them that `STEP_UP_ACR` asks for (its `stepUpAcr`).
 */
export function issuerAcrLevels(
  config: Pick<ApiConfig, 'issuers' | 'acrLevels' | 'stepUp'>,
): ReadonlyMap<string, IssuerAcrLevels> {
  const byIssuer = new Map<string, IssuerAcrLevels>();
  const required = config.stepUp.acr;
  for (const issuer of config.issuers) {
    if (issuer.acrLevels === undefined && issuer.stepUpAcr === undefined) continue;
    const asks =
      required !== undefined && issuer.stepUpAcr !== undefined
        ? new Map([[required, issuer.stepUpAcr]])
        : undefined;
    byIssuer.set(issuer.issuer, {
      levels: issuer.acrLevels ?? config.acrLevels,
      ...(asks && { asks }),
    });
  }
  return byIssuer;
}
