import type { TodoApiClient } from '../api/client.js';
import { ApiError, toApiError } from '../api/errors.js';
import type { paths } from '../api/schema.gen.js';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The identity provider's users, as `GET /admin/idp/users` answers. */
export type IdpUserList = Json<paths['/admin/idp/users']['get']['responses'][200]>;
export type IdpUser = IdpUserList['items'][number];
export type NewIdpUser = Json<NonNullable<paths['/admin/idp/users']['post']['requestBody']>>;
export type IdpUserPatch = Json<
  NonNullable<paths['/admin/idp/users/{id}']['patch']['requestBody']>
>;
export type SessionsEnded = Json<paths['/admin/idp/users/{id}/logout']['post']['responses'][200]>;

type Result<T> = { data?: T; error?: unknown; response: Response };

async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError('network', 0, undefined, { cause });
  }
  if (!result.response.ok) throw toApiError(result.response, result.error);
  return result.data as T;
}

/** One page of the users matching `search`: from `cursor` (the previous page's `nextCursor`). */
export function listIdpUsers(
  api: TodoApiClient,
  search: string,
  cursor?: string,
  signal?: AbortSignal,
) {
  return unwrap(
    api.GET('/admin/idp/users', {
      params: { query: { ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) } },
      signal,
    }),
  );
}

export function createIdpUser(api: TodoApiClient, body: NewIdpUser) {
  return unwrap(api.POST('/admin/idp/users', { body }));
}

export function updateIdpUser(api: TodoApiClient, id: string, body: IdpUserPatch) {
  return unwrap(api.PATCH('/admin/idp/users/{id}', { params: { path: { id } }, body }));
}

export function setIdpRole(api: TodoApiClient, id: string, role: string, granted: boolean) {
  const params = { params: { path: { id, role } } };
  return unwrap(
    granted
      ? api.PUT('/admin/idp/users/{id}/roles/{role}', params)
      : api.DELETE('/admin/idp/users/{id}/roles/{role}', params),
  );
}

export function endIdpSessions(api: TodoApiClient, id: string) {
  return unwrap(api.POST('/admin/idp/users/{id}/logout', { params: { path: { id } } }));
}

export type PasswordReset = Json<
  NonNullable<paths['/admin/idp/users/{id}/reset-password']['post']['requestBody']>
>;

/** A temporary password, to be changed at the next sign-in; `endSessions` defaults to true. */
export function setTemporaryPassword(api: TodoApiClient, id: string, body: PasswordReset) {
  return unwrap(
    api.POST('/admin/idp/users/{id}/reset-password', { params: { path: { id } }, body }),
  );
}
