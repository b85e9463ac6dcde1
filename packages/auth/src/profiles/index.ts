import { authentik } from './authentik.js';
import { generic } from './generic.js';
import { keycloak } from './keycloak.js';
import type { ProfileDefinition, ProviderProfile } from './profile.js';

export type { EndpointLayout, ProfileDefinition, ProviderProfile } from './profile.js';

/** Every provider profile by name. */
export const PROFILES: Readonly<Record<ProviderProfile, ProfileDefinition>> = Object.freeze({
  keycloak,
  authentik,
  generic,
});

/** Names of the provider profiles. */
export const PROFILE_NAMES = Object.freeze(Object.keys(PROFILES)) as readonly ProviderProfile[];

/**
 * The definition of a provider profile, by name.
 *
 * @example
 * ```ts
 * providerProfile('keycloak').endpoints('/realms/todo-app').token;
 * // '/realms/todo-app/protocol/openid-connect/token'
 * ```
 */
export function providerProfile(name: ProviderProfile): ProfileDefinition {
  const profile = PROFILES[name];
  if (profile === undefined) throw new TypeError(`unknown provider profile ${String(name)}`);
  return profile;
}
