import { authentik } from './authentik.js';
import { keycloak } from './keycloak.js';
import type { IdpProfile, Profile } from './profile.js';

export type { IdpProfile, Profile, UserTokenInput } from './profile.js';

/** Every server the dev IdP imitates, by profile name. */
export const IDP_PROFILES: Readonly<Record<Profile, IdpProfile>> = Object.freeze({
  keycloak,
  authentik,
});

/** The profile the dev IdP imitates unless told otherwise. */
export const DEFAULT_IDP_PROFILE: Profile = 'keycloak';

/** Whether the dev IdP serves a profile of this name. */
export function isProfile(name: string): name is Profile {
  return Object.hasOwn(IDP_PROFILES, name);
}

/** The dev IdP's profile of this name; chosen once, at start-up. */
export function idpProfile(name: Profile = DEFAULT_IDP_PROFILE): IdpProfile {
  if (!isProfile(name)) throw new TypeError(`unknown profile ${String(name)}`);
  return IDP_PROFILES[name];
}
