import {
  type QueryClient,
  type QueryKey,
  useInfiniteQuery,
  useMutation,
  useQueryClient,
} from '@tanstack/react-query';
import { useApi } from '../api/ApiContext.js';
import { deleteTodo, listTodos, type TodoFilter, updateTodo } from '../api/endpoints.js';
import { isApiError, isRetriableCreate } from '../api/errors.js';
import { listTodosOf } from '../api/list-endpoints.js';
import type { Todo, TodoPatch } from '../api/types.js';
import { refetchAfterWrite } from '../sync/refetch-after-write.js';
import { broadcast } from '../sync/tab-channel.js';
import { type AddRequest, forgetAdd, outcomeUnknown, returnAdd, sendAdd } from './add-in-flight.js';
import { insertTodo, optimisticTodo, patchTodo, replaceTodo, type TodoPages } from './cache.js';
import { followOwnWrite } from './delete-in-flight.js';

/**
 * TanStack Query hooks for the caller's todos. Writes are optimistic: every cached list
 * (all / open / done) changes at once, and is put back exactly as it was if the API refuses.
 * Each write then reads them again without waiting: TanStack Query awaits a promise returned by
 * `onSettled` before the caller's callbacks, so a slow read held back the failure notice.
 */
export const todoKeys = {
  all: ['todos'] as const,
  /** One view: a filter over every readable todo (`all`) or over one list's todos. */
  list: (filter: TodoFilter, listId?: string) => ['todos', filter, listId ?? 'all'] as const,
};

/** Which list a cached view shows (`all`: every list). */
function listOf(key: QueryKey): string {
  return typeof key[2] === 'string' ? key[2] : 'all';
}

type Snapshot = Array<[QueryKey, TodoPages | undefined]>;

function filterOf(key: QueryKey): TodoFilter {
  const filter = key[1];
  return filter === 'open' || filter === 'done' ? filter : 'all';
}

/** Applies `update` to every cached todo list and returns what they held before. */
export async function updateAllLists(
  client: QueryClient,
  update: (data: TodoPages | undefined, filter: TodoFilter) => TodoPages | undefined,
  inList?: string,
): Promise<Snapshot> {
  await client.cancelQueries({ queryKey: todoKeys.all });
  const snapshot = client.getQueriesData<TodoPages>({ queryKey: todoKeys.all });
  for (const [key, data] of snapshot) {
    // A new todo of one list belongs in that list's views and in "every list", not in others.
    if (inList !== undefined && listOf(key) !== 'all' && listOf(key) !== inList) continue;
    client.setQueryData(key, update(data, filterOf(key)));
  }
  return snapshot;
}

/** Puts every list back as `updateAllLists` found it. */
export function restoreLists(client: QueryClient, snapshot: Snapshot | undefined): void {
  for (const [key, data] of snapshot ?? []) client.setQueryData(key, data);
}

/**
 * The caller's todos for `filter`, a page at a time ("load more"): of one list when `listId`
 * is given (`GET /lists/{id}/todos/`), else of every list they can read (`GET /todos/`).
 */
export function useTodoList(filter: TodoFilter, listId?: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: todoKeys.list(filter, listId),
    queryFn: ({ pageParam, signal }) =>
      listId === undefined
        ? listTodos(api, filter, pageParam, signal)
        : listTodosOf(api, listId, filter, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Coming back to the tab shows what changed meanwhile (another device, another person),
    // however recently the list was fetched.
    refetchOnWindowFocus: 'always',
  });
}

/** A new todo's exact request, and the idempotency key it goes with (`add-in-flight.ts`). */
export interface NewTodoSend {
  request: AddRequest;
  key: string;
}

/** Tries of one add in all: the first, and retries of the same request with the same key. */
const ADD_TRIES = 3;

/**
 * Creates a todo (in the list its request names, else in the default list); it shows at once
 * and is replaced by the server's copy. A try that gets no answer the API stands by (no
 * network, 502/503/504, the key still being processed) is retried with the same request and
 * key, after 1 s then 2 s: the API answers a repeat with the todo it stored for the key, so a
 * retry never adds it twice (draft-ietf-httpapi-idempotency-key-header §2.5). The todo shows
 * meanwhile; only the last failure takes it away and says why.
 */
export function useCreateTodo(listId?: string) {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ request, key }: NewTodoSend) => sendAdd(api, request, key),
    retry: (failures, error) => failures < ADD_TRIES - 1 && isRetriableCreate(error),
    retryDelay: (failures) => 1000 * 2 ** failures,
    onMutate: async ({ request }) => {
      const { title, description } = request.body;
      const placeholder = optimisticTodo(title, description ?? undefined, new Date());
      const snapshot = await updateAllLists(
        client,
        (data, filter) => insertTodo(data, placeholder, filter),
        listId,
      );
      return { snapshot, placeholder };
    },
    // Here, not in `mutate`'s own callbacks, which run for the latest add only.
    onSuccess: (todo, { key }, context) => {
      forgetAdd(key);
      broadcast({ type: 'todos-changed' });
      // A list's todo count changed.
      void refetchAfterWrite(client, ['lists']);
      for (const [key, data] of client.getQueriesData<TodoPages>({ queryKey: todoKeys.all })) {
        client.setQueryData(key, replaceTodo(data, context.placeholder.id, todo));
      }
    },
    onError: (error, { key }, context) => {
      restoreLists(client, context?.snapshot);
      // The session ended: the app signs in again, and the load after it sends the add again
      // with its key. No answer even after the retries: it may have been stored, so adding
      // the same text again goes with the same key. Refused: nothing was stored.
      if (isApiError(error) && error.code === 'session_expired') return;
      if (outcomeUnknown(error)) returnAdd(key);
      else forgetAdd(key);
    },
    onSettled: () => void refetchAfterWrite(client, todoKeys.all),
  });
}

export interface TodoUpdate {
  id: string;
  patch: TodoPatch;
  /**
   * The version the change is based on (an edit: the todo as it was when editing began). By
   * default the latest version this tab knows, so queued clicks follow each other's results.
   */
  version?: number;
}

/** The todo `id` as the cached lists hold it (the server's latest copy this tab has seen). */
export function cachedTodo(client: QueryClient, id: string): Todo | undefined {
  for (const [, data] of client.getQueriesData<TodoPages>({ queryKey: todoKeys.all })) {
    for (const page of data?.pages ?? []) {
      const todo = page.items.find((item) => item.id === id);
      if (todo) return todo;
    }
  }
  return undefined;
}

/** Puts the server's copy of `todo` in every cached list (its version included). */
export function storeTodo(client: QueryClient, todo: Todo): void {
  for (const [key, data] of client.getQueriesData<TodoPages>({ queryKey: todoKeys.all })) {
    client.setQueryData(key, replaceTodo(data, todo.id, todo));
  }
}

/**
 * Whether a failed add is worth trying again at once: no answer at all, a gateway or the API
 * unavailable (502/503/504), or the key still being processed (409, draft §2.7). A 500 or a
 * refusal is said at once; an ended session signs in again (the next load sends it again).
 */
/** The mutation scope of this tab's writes to the todo `id`: TanStack Query runs them in order. */
export const todoScope = (id: string) => `todo:${id}`;

/**
 * The version to send a delete of `todo` with (If-Match): the one it had on screen when the
 * delete was asked for, or the one this tab's own edit or toggle of it made since, once the
 * writes still on their way have been answered. Without waiting, a delete right after a toggle
 * would go with the version before it and be refused as changed elsewhere (412).
 */
export async function versionAfterOwnWrites(client: QueryClient, todo: Todo): Promise<number> {
  const cache = client.getMutationCache();
  const writes = () =>
    cache.findAll({ predicate: (mutation) => mutation.options.scope?.id === todoScope(todo.id) });
  const pending = () => writes().some((mutation) => mutation.state.status === 'pending');
  if (pending()) {
    await new Promise<void>((resolve) => {
      const unsubscribe = cache.subscribe(() => {
        if (pending()) return;
        unsubscribe();
        resolve();
      });
    });
  }
  let version = todo.version;
  for (const write of writes()) {
    const saved =
      write.state.status === 'success' ? (write.state.data as Todo | undefined) : undefined;
    if (saved && saved.version > version) version = saved.version;
  }
  return version;
}

/**
 * Edits or toggles the todo `id` (PATCH), optimistically. Writes to one todo share a mutation
 * scope, so TanStack Query sends them one after another: two quick toggles (or a toggle and an
 * edit) cannot overtake each other on the way, and the server ends with the last click.
 */
export function useUpdateTodo(id: string) {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    scope: { id: todoScope(id) },
    // Sent with If-Match: a todo someone changed meanwhile is refused (412), never overwritten.
    mutationFn: ({ id, patch, version }: TodoUpdate) =>
      updateTodo(api, id, patch, version ?? cachedTodo(client, id)?.version),
    onSuccess: (todo) => {
      storeTodo(client, todo);
      followOwnWrite(todo);
      broadcast({ type: 'todos-changed' });
    },
    onMutate: async ({ id, patch }) => {
      const snapshot = await updateAllLists(client, (data, filter) =>
        patchTodo(data, id, patch as Partial<Todo>, filter),
      );
      return { snapshot };
    },
    onError: (_error, _update, context) => restoreLists(client, context?.snapshot),
    onSettled: () => void refetchAfterWrite(client, todoKeys.all),
  });
}

/** Deletes a todo on the server (the undo window: `useDeleteWithUndo`); its list's count changes. */
export function useDeleteTodo() {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, version }: { id: string; version?: number }) => deleteTodo(api, id, version),
    onSuccess: () => {
      broadcast({ type: 'todos-changed' });
      void refetchAfterWrite(client, ['lists']);
    },
    onSettled: () => void refetchAfterWrite(client, todoKeys.all),
  });
}
