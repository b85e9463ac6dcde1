import type { TodoApiClient } from './client.js';
import { ApiError, isApiError, toApiError } from './errors.js';
import type {
  AdminTodoPage,
  AdminUsers,
  AgentList,
  AgentRevoked,
  AuditPage,
  Me,
  Summary,
  Todo,
  TodoPage,
  TodoPatch,
} from './types.js';

/**
 * One function per API operation. Each returns the data or throws an `ApiError`, which is the
 * shape TanStack Query expects.
 */
type Result<T> = { data?: T; error?: unknown; response: Response };

export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
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

/** Which todos a list shows. */
export type TodoFilter = 'all' | 'open' | 'done';

export const PAGE_SIZE = 20;

export function listTodos(
  api: TodoApiClient,
  filter: TodoFilter,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<TodoPage> {
  const completed = filter === 'all' ? undefined : filter === 'done';
  return unwrap(
    api.GET('/todos/', { params: { query: { completed, cursor, limit: PAGE_SIZE } }, signal }),
  );
}

/**
 * `If-Match` for a todo at `version` (its ETag, RFC 9110 §13.1.1): the API applies the change
 * only if nobody changed the todo since, and answers 412 with the current state otherwise.
 */
export function ifMatch(version: number | undefined): { 'if-match'?: string } {
  return typeof version === 'number' ? { 'if-match': `"${version}"` } : {};
}

export function updateTodo(
  api: TodoApiClient,
  id: string,
  body: TodoPatch,
  version?: number,
): Promise<Todo> {
  return unwrap(
    api.PATCH('/todos/{id}', { params: { path: { id }, header: ifMatch(version) }, body }),
  );
}

export async function deleteTodo(api: TodoApiClient, id: string, version?: number): Promise<void> {
  await unwrap(api.DELETE('/todos/{id}', { params: { path: { id }, header: ifMatch(version) } }));
}

/** The todo's current state from a 412 answer, if the API sent it. */
export function currentOf(error: unknown): Todo | undefined {
  if (!isApiError(error) || error.code !== 'changed_elsewhere') return undefined;
  const current = error.problem?.current;
  return typeof current === 'object' && current !== null ? (current as Todo) : undefined;
}

export function getMe(api: TodoApiClient, signal?: AbortSignal): Promise<Me> {
  return unwrap(api.GET('/me', { signal }));
}

export function getSummary(
  api: TodoApiClient,
  department: string | undefined,
  signal?: AbortSignal,
): Promise<Summary> {
  return unwrap(api.GET('/reports/summary', { params: { query: { department } }, signal }));
}

export function getAdminUsers(api: TodoApiClient, signal?: AbortSignal): Promise<AdminUsers> {
  return unwrap(api.GET('/admin/users', { signal }));
}

export function getAdminTodos(
  api: TodoApiClient,
  owner: string | undefined,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<AdminTodoPage> {
  return unwrap(
    api.GET('/admin/todos', {
      params: { query: { owner: owner || undefined, cursor, limit: PAGE_SIZE } },
      signal,
    }),
  );
}

export function getAudit(
  api: TodoApiClient,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<AuditPage> {
  return unwrap(
    api.GET('/admin/audit', { params: { query: { cursor, limit: PAGE_SIZE } }, signal }),
  );
}

/** The agents (clients other than this app and the CLI) that acted for the caller. */
export function listAgents(api: TodoApiClient, signal?: AbortSignal): Promise<AgentList> {
  return unwrap(api.GET('/me/agents', { signal }));
}

/** Ends an agent's access: its tokens are refused and its grant at the IdP ends. */
export function revokeAgent(api: TodoApiClient, clientId: string): Promise<AgentRevoked> {
  return unwrap(api.DELETE('/me/agents/{clientId}', { params: { path: { clientId } } }));
}
