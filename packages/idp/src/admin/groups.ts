import type { AdminCall, AdminContext } from './context.js';
import { groupId } from './representations.js';
import { userOf } from './users.js';

function groupRepresentation(path: string) {
  return { id: groupId(path), name: path.slice(path.lastIndexOf('/') + 1), path };
}

/** `GET /groups`: the realm's top-level groups (`search` filters by name). */
export function listGroups(ctx: AdminContext, call: AdminCall) {
  const search = call.query.get('search')?.toLowerCase();
  const paths = [...ctx.realm.model.groups.keys()];
  return paths
    .filter((path) => path.lastIndexOf('/') === 0)
    .filter((path) => !search || path.toLowerCase().includes(search))
    .map((path) => ({
      ...groupRepresentation(path),
      subGroupCount: paths.filter(
        (p) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes('/'),
      ).length,
    }));
}

/** `GET /users/{id}/groups`: the groups the user is a direct member of. */
export function groupsOfUser(ctx: AdminContext, call: AdminCall) {
  const user = userOf(ctx, call.params[0]);
  return user.direct.groups.map((g) => groupRepresentation(g.startsWith('/') ? g : `/${g}`));
}
