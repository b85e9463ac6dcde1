import type { IncomingMessage } from 'node:http';
import { REALM_MANAGEMENT } from '../realm/builtin.js';
import type { AdminContext, AdminPermissions } from './context.js';

/**
 * Who calls the admin API, as Keycloak decides it: a bearer access token issued by this realm
 * (signature, issuer, not expired, revoked or logged out), whose subject is not disabled. Its
 * `resource_access.realm-management.roles` (composites already expanded) say what it may do.
 * `undefined` means 401.
 */
export async function adminPermissions(
  ctx: AdminContext,
  req: IncomingMessage,
): Promise<AdminPermissions | undefined> {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return undefined;
  const found = await ctx.registry.verify(token);
  if (!found) return undefined;
  const sub = found.claims.sub;
  const subject = typeof sub === 'string' ? ctx.realm.usersById.get(sub) : undefined;
  if (subject && !subject.enabled) return undefined;
  const access = found.claims.resource_access as
    | Record<string, { roles?: unknown } | undefined>
    | undefined;
  const list = access?.[REALM_MANAGEMENT]?.roles;
  const roles = new Set(Array.isArray(list) ? list.filter((r) => typeof r === 'string') : []);
  const has = (...names: string[]) => names.some((n) => roles.has(n));
  return {
    queryUsers: has('query-users', 'view-users', 'manage-users'),
    viewUsers: has('view-users', 'manage-users'),
    manageUsers: has('manage-users'),
    queryGroups: has('query-groups', 'view-users', 'manage-users'),
    // Keycloak lets a user administrator ask for the list of clients (`GET /clients` answers
    // 200), but shows in it only the clients the caller may view (`viewClients`).
    listClients: has('query-clients', 'view-clients', 'manage-clients', 'query-users'),
    viewClients: has('view-clients', 'manage-clients'),
    anyAdminRole: roles.size > 0,
  };
}
