import type { TodoApiClient } from './client.js';
import { ifMatch, PAGE_SIZE, type TodoFilter, unwrap } from './endpoints.js';
import type { ListMember, ShareRelation, TodoList, TodoPage } from './types.js';

/** The list operations of the API, one function each (see `endpoints.ts` for the todo ones). */

export function getLists(api: TodoApiClient, signal?: AbortSignal): Promise<TodoList[]> {
  return unwrap(api.GET('/lists/', { signal }));
}

/**
 * Creates a list under an idempotency key: the same name sent again with the same key is
 * answered with the list the first request made, never a second one
 * (draft-ietf-httpapi-idempotency-key-header §2.5; the key a quoted Structured Field String).
 */
export function createList(api: TodoApiClient, name: string, key: string): Promise<TodoList> {
  return unwrap(
    api.POST('/lists/', { body: { name }, params: { header: { 'idempotency-key': `"${key}"` } } }),
  );
}

/** Renames a list, only if it is still at `version` (If-Match, RFC 9110 §13.1.1). */
export function renameList(
  api: TodoApiClient,
  id: string,
  name: string,
  version: number,
): Promise<TodoList> {
  return unwrap(
    api.PATCH('/lists/{id}', {
      params: { path: { id }, header: ifMatch(version) },
      body: { name },
    }),
  );
}

/** Deletes a list with its todos, only if it is still at `version`. */
export async function deleteList(api: TodoApiClient, id: string, version: number): Promise<void> {
  await unwrap(api.DELETE('/lists/{id}', { params: { path: { id }, header: ifMatch(version) } }));
}

export function listTodosOf(
  api: TodoApiClient,
  listId: string,
  filter: TodoFilter,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<TodoPage> {
  const completed = filter === 'all' ? undefined : filter === 'done';
  return unwrap(
    api.GET('/lists/{id}/todos/', {
      params: { path: { id: listId }, query: { completed, cursor, limit: PAGE_SIZE } },
      signal,
    }),
  );
}

/** Creates a todo in `listId` (`POST /todos/` with `listId`; editor or owner of the list). */
export function getMembers(
  api: TodoApiClient,
  id: string,
  signal?: AbortSignal,
): Promise<ListMember[]> {
  return unwrap(api.GET('/lists/{id}/members', { params: { path: { id } }, signal }));
}

/** Shares a list with someone the API knows by `username` or email, or changes their relation. */
export function shareList(
  api: TodoApiClient,
  id: string,
  username: string,
  relation: ShareRelation,
): Promise<ListMember> {
  return unwrap(
    api.PUT('/lists/{id}/members/{username}', {
      params: { path: { id, username } },
      body: { relation },
    }),
  );
}

/** Removes someone from a list (the owner), or leaves it (the member themself). */
export async function removeMember(api: TodoApiClient, id: string, username: string) {
  await unwrap(
    api.DELETE('/lists/{id}/members/{username}', { params: { path: { id, username } } }),
  );
}
