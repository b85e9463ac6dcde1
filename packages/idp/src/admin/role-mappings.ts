import type { RealmUser, RoleDefinition } from '../realm/types.js';
import { type AdminCall, type AdminContext, AdminError, badRequest, notFound } from './context.js';
import { clientUuid, roleId, roleRepresentation } from './representations.js';
import { directoryChange, userOf } from './users.js';

/** The client whose internal id is `uuid` (Keycloak addresses clients by it). */
export function clientByUuid(ctx: AdminContext, uuid: string | undefined): string {
  const clientId = [...ctx.realm.model.roles.map((r) => r.client), ...ctx.realm.clients.keys()]
    .filter((c): c is string => c !== undefined)
    .find((c) => clientUuid(c) === uuid);
  if (!clientId) throw new AdminError(404, { error: 'Could not find client' });
  return clientId;
}

function rolesOf(ctx: AdminContext, client: string | undefined): RoleDefinition[] {
  return ctx.realm.model.roles.filter((r) => r.client === client);
}

function reps(ctx: AdminContext, client: string | undefined, names: Iterable<string>) {
  const wanted = new Set(names);
  return rolesOf(ctx, client)
    .filter((r) => wanted.has(r.name))
    .map((r) => roleRepresentation(r, ctx.realm.name));
}

function direct(user: RealmUser, client: string | undefined): string[] {
  return client === undefined ? user.direct.realmRoles : (user.direct.clientRoles[client] ?? []);
}

function effective(user: RealmUser, client: string | undefined): string[] {
  return client === undefined ? user.realmRoles : (user.clientRoles[client] ?? []);
}

/** `GET /users/{id}/role-mappings`: Keycloak's `MappingsRepresentation` of direct mappings. */
export function allMappings(ctx: AdminContext, call: AdminCall) {
  const user = userOf(ctx, call.params[0]);
  const clientMappings: Record<string, unknown> = {};
  for (const [client, names] of Object.entries(user.direct.clientRoles)) {
    if (names.length === 0) continue;
    clientMappings[client] = {
      id: clientUuid(client),
      client,
      mappings: reps(ctx, client, names),
    };
  }
  return {
    realmMappings: reps(ctx, undefined, user.direct.realmRoles),
    ...(Object.keys(clientMappings).length > 0 ? { clientMappings } : {}),
  };
}

type View = 'direct' | 'composite' | 'available';

/**
 * `GET …/role-mappings/realm[/composite|/available]` and the same under `clients/{client}`: the
 * roles mapped directly, the effective ones (composites and groups included), or the ones that
 * could still be mapped.
 */
export function listMappings(
  ctx: AdminContext,
  call: AdminCall,
  client: string | undefined,
  view: View,
) {
  const user = userOf(ctx, call.params[0]);
  if (view === 'direct') return reps(ctx, client, direct(user, client));
  if (view === 'composite') return reps(ctx, client, effective(user, client));
  const has = new Set(effective(user, client));
  return rolesOf(ctx, client)
    .filter((r) => !has.has(r.name))
    .map((r) => roleRepresentation(r, ctx.realm.name));
}

/**
 * `POST`/`DELETE …/role-mappings/realm` or `…/clients/{client}` with a list of
 * `RoleRepresentation`s; like Keycloak, each must name an existing role by name and by its id
 * (a role without its id is "Role not found", 404, as a wrong id is).
 */
export function changeMappings(
  ctx: AdminContext,
  call: AdminCall,
  client: string | undefined,
  body: unknown,
  add: boolean,
): void {
  const user = userOf(ctx, call.params[0]);
  if (!Array.isArray(body)) throw badRequest('expected a list of roles');
  const names = body.map((raw) => {
    const role = raw as { id?: unknown; name?: unknown };
    const known = rolesOf(ctx, client).find((r) => r.name === role.name);
    if (!known || role.id !== roleId(known)) throw notFound('Role');
    return known.name;
  });
  directoryChange(() =>
    ctx.directory.setMappings(user.id, (mappings) => {
      const current = direct(user, client);
      const next = add
        ? [...new Set([...current, ...names])]
        : current.filter((n) => !names.includes(n));
      if (client === undefined) mappings.realmRoles = next;
      else mappings.clientRoles = { ...mappings.clientRoles, [client]: next };
    }),
  );
}

/** `GET /roles` and `GET /clients/{id}/roles` (`search`, `first`, `max`). */
export function listRoles(ctx: AdminContext, call: AdminCall, client: string | undefined) {
  const search = call.query.get('search')?.toLowerCase();
  return rolesOf(ctx, client)
    .filter((r) => !search || r.name.toLowerCase().includes(search))
    .map((r) => roleRepresentation(r, ctx.realm.name));
}

export function getRole(ctx: AdminContext, client: string | undefined, name: string | undefined) {
  const role = rolesOf(ctx, client).find((r) => r.name === name);
  if (!role) throw new AdminError(404, { error: 'Could not find role' });
  return roleRepresentation(role, ctx.realm.name);
}
