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
  /** Ids of people the API has seen and the provider deleted: disabling them says they are gone. */
  deleted: Set<string>;
  /** Ids of people the provider deletes right after the next change to them is made. */
  deletedAfterChange: Set<string>;
}

export function newIdpUserState(): IdpUserState {
  return { people: [], pageSize: 100, deleted: new Set(), deletedAfterChange: new Set() };
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

/**
 * `PATCH /admin/idp/users/{id}`: the person changed, or for someone deleted the API's answer
 * that they are gone (disabling; any change when deleted after it was made) or 404.
 */
function changePerson(
  state: IdpUserState,
  id: string,
  body: { enabled?: boolean; department?: string | null },
) {
  const person = state.people.find((p) => p.id === id);
  if (person !== undefined && state.deletedAfterChange.delete(id)) {
    state.people = state.people.filter((p) => p.id !== id);
    const detail =
      'The change was made, but http://idp no longer has this person (deleted there since).';
    return { status: 200, answer: { id, gone: true, detail, revoked: [] } };
  }
  if (person !== undefined) return { status: 200, answer: Object.assign(person, body) };
  if (!state.deleted.has(id) || body.enabled !== false)
    return { status: 404, answer: { status: 404, code: 'not_found', detail: 'No such user' } };
  const answer = {
    id,
    gone: true,
    detail:
      'http://idp no longer has this person (deleted there), so there was no one to disable; the access tokens it issued them before are refused here.',
    revoked: [{ issuer: 'http://idp', sub: id, notBefore: new Date().toISOString() }],
  };
  return { status: 200, answer };
}

/**
 * Answers `GET /admin/idp/users`, `PATCH /admin/idp/users/{id}` and granting or removing a realm
 * role of someone listed; false for any other request.
 */
export function idpUserRoutes(
  state: IdpUserState,
  request: { method: string; path: string; query: URLSearchParams; body?: unknown },
  res: ServerResponse,
): boolean {
  const changed = /^\/admin\/idp\/users\/([^/]+)$/.exec(request.path)?.[1];
  if (request.method === 'PATCH' && changed !== undefined) {
    const body = request.body as { enabled?: boolean };
    const { status, answer } = changePerson(state, decodeURIComponent(changed), body);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
    return true;
  }
  const role = /^\/admin\/idp\/users\/([^/]+)\/roles\/([^/]+)$/.exec(request.path);
  const person = state.people.find((p) => p.id === decodeURIComponent(role?.[1] ?? ''));
  if ((request.method === 'PUT' || request.method === 'DELETE') && person !== undefined) {
    const name = decodeURIComponent(role?.[2] ?? '');
    const others = person.realmRoles.filter((r) => r !== name);
    person.realmRoles = request.method === 'PUT' ? [...others, name].sort() : others;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(person));
    return true;
  }
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
