import { ConfigError, type StepUpRequirement } from './config.js';

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
