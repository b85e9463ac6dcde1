import { array, invalid, object, onlyKeys, string, strings } from './check.js';

/**
 * Keycloak's user profile (24+), as far as its admin REST API is concerned: which attributes the
 * realm declares ("managed") and whether an administrator may see and change each, and what
 * happens to the others (`unmanagedAttributePolicy`). Keycloak hides attributes an
 * administrator may not view from the user representation, and drops the ones it may not edit
 * from a create or update, answering 2xx all the same.
 */
export interface UserProfile {
  /** Declared attributes other than username, email, firstName and lastName. */
  readonly managed: ReadonlyMap<
    string,
    { readonly adminView: boolean; readonly adminEdit: boolean }
  >;
  readonly unmanagedAttributePolicy: UnmanagedAttributePolicy;
  /** The username's `length` validation (Keycloak's default profile: 3 to 255). */
  readonly usernameLength: { readonly min: number; readonly max: number };
}

export type UnmanagedAttributePolicy = 'DISABLED' | 'ENABLED' | 'ADMIN_VIEW' | 'ADMIN_EDIT';

export const USER_PROFILE_COMPONENT = 'org.keycloak.userprofile.UserProfileProvider';
const CONFIG_KEY = 'kc.user.profile.config';
/** The attributes every user profile has; they are fields of the representation, not attributes. */
const ROOT_ATTRIBUTES = new Set(['username', 'email', 'firstName', 'lastName']);
const POLICIES: readonly UnmanagedAttributePolicy[] = [
  'DISABLED',
  'ENABLED',
  'ADMIN_VIEW',
  'ADMIN_EDIT',
];

/** Keycloak's default user profile: the four root attributes only, unmanaged ones disabled. */
export const DEFAULT_USER_PROFILE: UserProfile = Object.freeze({
  managed: new Map(),
  unmanagedAttributePolicy: 'DISABLED',
  usernameLength: { min: 3, max: 255 },
});

function lengthOf(attribute: Record<string, unknown>, where: string) {
  const validations = object(attribute.validations ?? {}, `${where}.validations`);
  if (validations.length === undefined) return { min: 0, max: Number.POSITIVE_INFINITY };
  const length = object(validations.length, `${where}.validations.length`);
  const bound = (key: 'min' | 'max', fallback: number) => {
    const value = length[key] ?? fallback;
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      invalid(`${where}.validations.length.${key}`, 'must be a non-negative integer');
    return n;
  };
  return { min: bound('min', 0), max: bound('max', Number.MAX_SAFE_INTEGER) };
}

/** Whether an administrator sees the attribute in a user representation. */
export function adminCanView(profile: UserProfile, name: string): boolean {
  const managed = profile.managed.get(name);
  if (managed) return managed.adminView || managed.adminEdit;
  return profile.unmanagedAttributePolicy !== 'DISABLED';
}

/** Whether an administrator's create or update may set the attribute. */
export function adminCanEdit(profile: UserProfile, name: string): boolean {
  const managed = profile.managed.get(name);
  if (managed) return managed.adminEdit;
  const policy = profile.unmanagedAttributePolicy;
  return policy === 'ENABLED' || policy === 'ADMIN_EDIT';
}

/**
 * Reads the realm export's user profile component (`declarative-user-profile`, its JSON in
 * `config["kc.user.profile.config"][0]`, as Keycloak exports it); Keycloak's default without one.
 */
export function parseUserProfile(components: Record<string, unknown>): UserProfile {
  const list = array(components[USER_PROFILE_COMPONENT], `components["${USER_PROFILE_COMPONENT}"]`);
  if (list.length === 0) return DEFAULT_USER_PROFILE;
  if (list.length > 1)
    invalid(`components["${USER_PROFILE_COMPONENT}"]`, 'must hold one component');
  const path = `components["${USER_PROFILE_COMPONENT}"][0]`;
  const component = object(list[0], path);
  onlyKeys(component, ['id', 'name', 'providerId', 'subType', 'subComponents', 'config'], path);
  if (string(component.providerId, `${path}.providerId`) !== 'declarative-user-profile')
    invalid(`${path}.providerId`, 'must be "declarative-user-profile"');
  const config = object(component.config ?? {}, `${path}.config`);
  const [json] = strings(config[CONFIG_KEY], `${path}.config["${CONFIG_KEY}"]`);
  if (json === undefined) return DEFAULT_USER_PROFILE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    invalid(`${path}.config["${CONFIG_KEY}"][0]`, 'must be JSON');
  }
  const up = object(parsed, `${path}.config["${CONFIG_KEY}"][0]`);
  const names = new Set<string>();
  const managed = new Map<string, { adminView: boolean; adminEdit: boolean }>();
  let usernameLength = DEFAULT_USER_PROFILE.usernameLength;
  array(up.attributes, 'user profile attributes').forEach((raw, i) => {
    const where = `user profile attributes[${i}]`;
    const attribute = object(raw, where);
    const name = string(attribute.name, `${where}.name`);
    names.add(name);
    if (name === 'username') usernameLength = lengthOf(attribute, where);
    if (ROOT_ATTRIBUTES.has(name)) return;
    const permissions = object(attribute.permissions ?? {}, `${where}.permissions`);
    managed.set(name, {
      adminView: strings(permissions.view, `${where}.permissions.view`).includes('admin'),
      adminEdit: strings(permissions.edit, `${where}.permissions.edit`).includes('admin'),
    });
  });
  // Keycloak refuses a user profile without these two.
  for (const required of ['username', 'email'])
    if (!names.has(required)) invalid(`${path}.config`, `must declare the attribute ${required}`);
  const policy = up.unmanagedAttributePolicy ?? 'DISABLED';
  if (!POLICIES.includes(policy as UnmanagedAttributePolicy))
    invalid('unmanagedAttributePolicy', `must be one of ${POLICIES.join(', ')}`);
  return { managed, unmanagedAttributePolicy: policy as UnmanagedAttributePolicy, usernameLength };
}
