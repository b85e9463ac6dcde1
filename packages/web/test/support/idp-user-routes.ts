import type { ServerResponse } from 'node:http';
import type { IdpUser } from '../../src/admin/idp-api.js';

/**
 * `GET /admin/idp/users` for the todo server, paged by offset alone: the cursor names where the
 * next page starts in the list as it is when that page is asked for, so a person added in
 * between makes the next page repeat someone already shown. The API makes up for that
 * (`packages/api/src/admin-idp/user-page.ts`) except when the last person shown was deleted,
 * when its next page starts earlier and may repeat people too; the screen shows each once.
 */
export interface IdpUserState {
  people: IdpUser[];
  /** People per page (the API's is 100). */
  pageSize: number;
}

export function newIdpUserState(): IdpUserState {
  return { people: [], pageSize: 100 };
}

/** A person as the API lists them: enabled, no department, the `user` role. */
export function idpPerson(username: string, over: Partial<IdpUser> = {}): IdpUser {
  return {
    id: `id-${username}`,
    username,
    email: null,
    firstName: null,
    lastName: null,
    enabled: true,
    department: null,
    realmRoles: ['user'],
    permissions: [],
    ...over,
  };
}

/** Answers `GET /admin/idp/users`; false for any other request. */
export function idpUserRoutes(
  state: IdpUserState,
  request: { method: string; path: string; query: URLSearchParams },
  res: ServerResponse,
): boolean {
  if (request.method !== 'GET' || request.path !== '/admin/idp/users') return false;
  const offset = Number(request.query.get('cursor') ?? 0);
  const end = offset + state.pageSize;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      items: state.people.slice(offset, end),
      assignable: { realmRoles: ['admin', 'user'], permissions: [] },
      nextCursor: end < state.people.length ? String(end) : null,
    }),
  );
  return true;
}
