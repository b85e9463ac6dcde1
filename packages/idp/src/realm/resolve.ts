import { invalid } from './check.js';
import type { RoleRef } from './roles.js';
import type { RealmModel, UserMappings } from './types.js';

/** A user's effective roles and attributes: direct mappings, their groups', composites expanded. */
export function resolveMappings(
  model: RealmModel,
  direct: UserMappings,
  path: string,
): {
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  attributes: Record<string, string[]>;
} {
  const roots: RoleRef[] = direct.realmRoles.map((name) => ({ client: undefined, name }));
  for (const [client, names] of Object.entries(direct.clientRoles)) {
    roots.push(...names.map((name) => ({ client, name })));
  }
  for (const ref of roots) model.graph.require(ref, path);
  let attributes: Record<string, string[]> = {};
  for (const [i, groupPath] of direct.groups.entries()) {
    const group = model.groups.get(groupPath.startsWith('/') ? groupPath : `/${groupPath}`);
    if (!group) invalid(`${path}.groups[${i}]`, `names an unknown group "${groupPath}"`);
    roots.push(...group.roles);
    attributes = { ...attributes, ...group.attributes };
  }
  attributes = { ...attributes, ...direct.attributes };
  const effective = model.graph.expand(roots);
  return { realmRoles: effective.realm, clientRoles: effective.client, attributes };
}
