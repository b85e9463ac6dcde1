import type { RoleGraph } from './roles.js';
import type { RoleDefinition } from './types.js';

/** Keycloak's built-in client that holds a realm's administration roles. */
export const REALM_MANAGEMENT = 'realm-management';

/**
 * The `realm-management` roles the dev IdP's admin API checks, as every Keycloak realm has them
 * without an import naming them (`view-users` includes `query-users` and `query-groups`,
 * `view-clients` includes `query-clients`).
 */
const BUILTIN: { name: string; composites: string[] }[] = [
  { name: 'query-users', composites: [] },
  { name: 'query-groups', composites: [] },
  { name: 'view-users', composites: ['query-users', 'query-groups'] },
  { name: 'manage-users', composites: [] },
  { name: 'query-clients', composites: [] },
  { name: 'view-clients', composites: ['query-clients'] },
];

/** Declares the built-in roles; a realm file may declare them again. */
export function defineBuiltinRoles(graph: RoleGraph, definitions: RoleDefinition[]): void {
  for (const role of BUILTIN) {
    const ref = { client: REALM_MANAGEMENT, name: role.name };
    graph.define(
      ref,
      role.composites.map((name) => ({ client: REALM_MANAGEMENT, name })),
    );
    definitions.push({
      ...ref,
      description: `\${role_${role.name}}`,
      composite: role.composites.length > 0,
    });
  }
}
