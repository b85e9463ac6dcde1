import { definePermissions, type PermissionOf } from '@todo-sso/auth';

/**
 * The API's permissions: `resource → actions`, flattened to the `resource:action` client roles
 * of `todo-api` that tokens carry. The one list: route declarations are type-checked against
 * it and refused at start-up when they name anything else, `/me` publishes it as an enum in
 * the OpenAPI document (the web app's type is generated from there), and a test compares it
 * with the realm file's client roles.
 */
export const PERMISSIONS = definePermissions({
  todos: ['read', 'write'],
  reports: ['generate'],
  users: ['manage'],
  authz: ['evaluate'],
} as const);

/** One permission of {@link PERMISSIONS}. */
export type Permission = PermissionOf<typeof PERMISSIONS.statements>;

/** What a person needs to use the app at all (its todos): what `todo doctor` checks tokens for. */
export const EVERYDAY_PERMISSIONS: readonly Permission[] = Object.freeze(
  PERMISSIONS.statements.todos.map((action) => `todos:${action}` as const),
);
