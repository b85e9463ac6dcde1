/** A person the test issuer can mint tokens for. */
export interface TestUser {
  /** Stable subject identifier. */
  readonly sub: string;
  readonly username: string;
  readonly email?: string;
  readonly name?: string;
  /** Realm roles (Keycloak `realm_access.roles`). */
  readonly roles: readonly string[];
  /** Client roles of `todo-api`, composites expanded (Keycloak `resource_access.todo-api.roles`). */
  readonly permissions: readonly string[];
  readonly department?: string;
}

const USER_PERMISSIONS = Object.freeze(['todos:read', 'todos:write']);

function user(
  sub: string,
  username: string,
  name: string,
  roles: readonly string[],
  permissions: readonly string[],
  department?: string,
): TestUser {
  return Object.freeze({
    sub,
    username,
    name,
    email: `${username}@example.com`,
    roles: Object.freeze([...roles]),
    permissions: Object.freeze([...permissions]),
    ...(department === undefined ? {} : { department }),
  });
}

/** alice: role `user`, department engineering. */
export const alice = user(
  '6f1c2a52-9b0e-4a7e-9d1a-a11ce0000001',
  'alice',
  'Alice Example',
  ['user'],
  USER_PERMISSIONS,
  'engineering',
);
/** bob: role `user`, department sales. */
export const bob = user(
  '6f1c2a52-9b0e-4a7e-9d1a-b0b000000002',
  'bob',
  'Bob Example',
  ['user'],
  USER_PERMISSIONS,
  'sales',
);
/** carol: role `user` plus `reports:generate`, department engineering. */
export const carol = user(
  '6f1c2a52-9b0e-4a7e-9d1a-ca2010000003',
  'carol',
  'Carol Example',
  ['user'],
  [...USER_PERMISSIONS, 'reports:generate'],
  'engineering',
);
/** admin: role `admin` (bypasses every permission check), no department. */
export const admin = user(
  '6f1c2a52-9b0e-4a7e-9d1a-ad3100000004',
  'admin',
  'Admin Example',
  ['admin'],
  [],
  undefined,
);
/** testuser: role `user`, no department. */
export const testuser = user(
  '6f1c2a52-9b0e-4a7e-9d1a-7e5700000005',
  'testuser',
  'Test User',
  ['user'],
  USER_PERMISSIONS,
  undefined,
);

/**
 * nobody: a valid token with no role and no permission (not a demo user of the realm): what a
 * signed-in person who was granted nothing may still do, which is `GET /me`.
 */
export const nobody = user(
  '6f1c2a52-9b0e-4a7e-9d1a-000000000099',
  'nobody',
  'Nobody Example',
  [],
  [],
  undefined,
);

/** The demo users of the dev realm, by username. */
export const demoUsers = Object.freeze({ alice, bob, carol, admin, testuser });
