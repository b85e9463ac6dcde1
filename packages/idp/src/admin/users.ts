import type { RealmUser } from '../realm/types.js';
import { REQUIRED_ACTIONS } from '../realm/user.js';
import { adminCanEdit } from '../realm/user-profile.js';
import { DirectoryError } from '../users/directory.js';
import { type AdminCall, type AdminContext, AdminError, badRequest, notFound } from './context.js';
import { briefUser, fullUser } from './representations.js';
import { filterUsers } from './user-search.js';

function nonNegative(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer`);
  return n;
}

export function listUsers(ctx: AdminContext, call: AdminCall) {
  const first = nonNegative(call.query, 'first', 0);
  const max = nonNegative(call.query, 'max', 100);
  const brief = call.query.get('briefRepresentation') === 'true';
  return filterUsers(ctx, call.query)
    .slice(first, first + max)
    .map((u) => (brief ? briefUser(u) : fullUser(u, call.can.manageUsers, ctx.realm.userProfile)));
}

export function countUsers(ctx: AdminContext, call: AdminCall): number {
  return filterUsers(ctx, call.query).length;
}

export function userOf(ctx: AdminContext, id: string | undefined): RealmUser {
  const user = id ? ctx.directory.get(id) : undefined;
  if (!user || user.serviceAccountClientId) throw notFound('User');
  return user;
}

export function getUser(ctx: AdminContext, call: AdminCall) {
  return fullUser(userOf(ctx, call.params[0]), call.can.manageUsers, ctx.realm.userProfile);
}

/** Runs a directory change, mapping its refusals to Keycloak's statuses and bodies. */
export function directoryChange<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    if (error instanceof DirectoryError) {
      if (error.status === 409) throw new AdminError(409, { errorMessage: error.message });
      throw new AdminError(error.status, { error: error.message });
    }
    throw error;
  }
}

type Body = Record<string, unknown>;

function optionalText(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  return value;
}

/**
 * The attributes of a create or update an administrator may set under the realm's user profile;
 * Keycloak drops the others silently (the answer is 2xx all the same).
 */
function editableAttributes(ctx: AdminContext, body: Body): Record<string, string[]> | undefined {
  const attributes = attributesOf(body);
  if (attributes === undefined) return undefined;
  const profile = ctx.realm.userProfile;
  return Object.fromEntries(
    Object.entries(attributes).filter(([name]) => adminCanEdit(profile, name)),
  );
}

function attributesOf(body: Body): Record<string, string[]> | undefined {
  const value = body.attributes;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest('attributes must be an object');
  const out: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(value as Record<string, unknown>)) {
    const values = Array.isArray(list) ? list : [list];
    if (!values.every((v) => typeof v === 'string')) {
      throw badRequest(`attributes.${key} must be a list of strings`);
    }
    out[key] = values as string[];
  }
  return out;
}

/** Required actions the dev IdP performs; Keycloak refuses unknown ones the same way. */
function requiredActionsOf(body: Body): string[] | undefined {
  if (body.requiredActions === undefined || body.requiredActions === null) return undefined;
  const list = Array.isArray(body.requiredActions) ? body.requiredActions.map(String) : [];
  if (
    !Array.isArray(body.requiredActions) ||
    list.some((a) => !(REQUIRED_ACTIONS as readonly string[]).includes(a))
  ) {
    throw new AdminError(400, {
      errorMessage: `Provided invalid required actions (supported: ${REQUIRED_ACTIONS.join(', ')})`,
    });
  }
  return list;
}

function emailTaken(ctx: AdminContext, email: string | undefined, self?: string): boolean {
  if (!email) return false;
  const lower = email.toLowerCase();
  return ctx.directory.people().some((u) => u.id !== self && u.email?.toLowerCase() === lower);
}

/** `POST /users`: 201 with a Location; 409 on a taken username or email (Keycloak's messages). */
export function createUser(ctx: AdminContext, body: Body): string {
  const username = optionalText(body, 'username')?.trim();
  if (!username) throw new AdminError(400, { errorMessage: 'User name is missing' });
  // The user profile's validation of the username (Keycloak's default: 3 to 255 characters),
  // answered in Keycloak's shape for one failed validation.
  const { min, max } = ctx.realm.userProfile.usernameLength;
  const length = [...username].length;
  if (length < min || length > max)
    throw new AdminError(400, {
      field: 'username',
      errorMessage: 'error-invalid-length',
      params: ['username', min, max],
    });
  // Keycloak stores email addresses lower-cased, as it does usernames.
  const email = optionalText(body, 'email')?.toLowerCase();
  if (ctx.directory.byUsername(username.toLowerCase())) {
    throw new AdminError(409, { errorMessage: 'User exists with same username' });
  }
  if (emailTaken(ctx, email)) {
    throw new AdminError(409, { errorMessage: 'User exists with same email' });
  }
  const credentials = Array.isArray(body.credentials) ? (body.credentials as Body[]) : [];
  const password = credentials.find((c) => c?.type === 'password');
  const groups = Array.isArray(body.groups) ? body.groups.map(String) : [];
  const user = directoryChange(() =>
    ctx.directory.create({
      username,
      email,
      firstName: optionalText(body, 'firstName'),
      lastName: optionalText(body, 'lastName'),
      emailVerified: body.emailVerified === true,
      enabled: body.enabled === true,
      requiredActions: requiredActionsOf(body) ?? [],
      direct: {
        realmRoles: [],
        clientRoles: {},
        groups,
        attributes: editableAttributes(ctx, body) ?? {},
      },
    }),
  );
  if (typeof password?.value === 'string' && password.value !== '') {
    ctx.directory.setPassword(user.id, password.value, password.temporary === true);
  }
  return user.id;
}

/**
 * `PUT /users/{id}`: the fields present change. With `attributes` present the body is the whole
 * profile, as in Keycloak 24+ (its user profile updates with `removeAttributes`): `email`,
 * `firstName` and `lastName` are attributes there too, so those the body leaves out are removed
 * along with the other attributes it leaves out. Without `attributes` nothing else is removed.
 */
export function updateUser(ctx: AdminContext, call: AdminCall, body: Body): void {
  const user = userOf(ctx, call.params[0]);
  // Keycloak stores email addresses lower-cased, as it does usernames.
  const email = optionalText(body, 'email')?.toLowerCase();
  if (email !== undefined && emailTaken(ctx, email, user.id)) {
    throw new AdminError(409, { errorMessage: 'User exists with same email' });
  }
  const username = optionalText(body, 'username');
  if (username !== undefined && username.toLowerCase() !== user.username) {
    // Keycloak's default realm setting (editUsernameAllowed false).
    throw new AdminError(400, {
      errorMessage: 'error-user-attribute-read-only',
      field: 'username',
    });
  }
  const attributes = editableAttributes(ctx, body);
  const requiredActions = requiredActionsOf(body);
  const enabled = body.enabled;
  if (enabled !== undefined && typeof enabled !== 'boolean')
    throw badRequest('enabled must be true or false');
  directoryChange(() =>
    ctx.directory.update(user.id, (u) => {
      if (typeof enabled === 'boolean') u.enabled = enabled;
      const first = optionalText(body, 'firstName');
      const last = optionalText(body, 'lastName');
      const whole = attributes !== undefined;
      if (email !== undefined || whole) u.email = email || undefined;
      if (first !== undefined || whole) u.firstName = first || undefined;
      if (last !== undefined || whole) u.lastName = last || undefined;
      if (typeof body.emailVerified === 'boolean') u.emailVerified = body.emailVerified;
      if (requiredActions) u.requiredActions = requiredActions;
      if (attributes) {
        // Those an administrator may not edit stay as they were (Keycloak skips them).
        const kept = Object.entries(u.direct.attributes).filter(
          ([name]) => !adminCanEdit(ctx.realm.userProfile, name),
        );
        u.direct.attributes = { ...Object.fromEntries(kept), ...attributes };
      }
    }),
  );
}

/** `PUT /users/{id}/reset-password`: a `CredentialRepresentation` of type password. */
export function resetPassword(ctx: AdminContext, call: AdminCall, body: Body): void {
  const user = userOf(ctx, call.params[0]);
  if (typeof body.value !== 'string' || body.value === '') throw badRequest('No password provided');
  if (body.type !== undefined && body.type !== 'password')
    throw badRequest('Unsupported credential type');
  directoryChange(() =>
    ctx.directory.setPassword(user.id, body.value as string, body.temporary === true),
  );
}

export function deleteUser(ctx: AdminContext, call: AdminCall): void {
  const user = userOf(ctx, call.params[0]);
  directoryChange(() => ctx.directory.delete(user.id));
}
