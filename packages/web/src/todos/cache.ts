import type { InfiniteData } from '@tanstack/react-query';
import type { TodoFilter } from '../api/endpoints.js';
import type { Todo, TodoPage } from '../api/types.js';

/**
 * Pure functions over the cached pages of a todo list, so optimistic updates, rollbacks and
 * "load more" merging are testable without React.
 */
export type TodoPages = InfiniteData<TodoPage>;

/** Does `todo` belong in a list showing `filter`? */
export function matchesFilter(todo: Pick<Todo, 'completed'>, filter: TodoFilter): boolean {
  if (filter === 'all') return true;
  return filter === 'done' ? todo.completed : !todo.completed;
}

/**
 * The todos of every loaded page in order, each id once: a todo created while the user paged
 * can shift a later page by one, and must not show twice.
 */
export function flattenPages(data: TodoPages | undefined): Todo[] {
  if (!data) return [];
  const seen = new Set<string>();
  const todos: Todo[] = [];
  for (const page of data.pages) {
    for (const todo of page.items) {
      if (seen.has(todo.id)) continue;
      seen.add(todo.id);
      todos.push(todo);
    }
  }
  return todos;
}

function mapItems(data: TodoPages, map: (items: Todo[]) => Todo[]): TodoPages {
  return { ...data, pages: data.pages.map((page) => ({ ...page, items: map(page.items) })) };
}

/** Adds `todo` at the top of the first page, if it matches the list's filter. */
export function insertTodo(data: TodoPages | undefined, todo: Todo, filter: TodoFilter) {
  if (!data || !matchesFilter(todo, filter)) return data;
  const [first, ...rest] = data.pages;
  if (!first) return data;
  return { ...data, pages: [{ ...first, items: [todo, ...first.items] }, ...rest] };
}

/** Applies `patch` to the todo `id`; a todo that no longer matches the filter leaves the list. */
export function patchTodo(
  data: TodoPages | undefined,
  id: string,
  patch: Partial<Todo>,
  filter: TodoFilter,
): TodoPages | undefined {
  if (!data) return data;
  return mapItems(data, (items) =>
    items.flatMap((todo) => {
      if (todo.id !== id) return [todo];
      const next = { ...todo, ...patch };
      return matchesFilter(next, filter) ? [next] : [];
    }),
  );
}

/** Swaps the todo `id` (e.g. an optimistic placeholder) for `todo` as the server returned it. */
export function replaceTodo(data: TodoPages | undefined, id: string, todo: Todo) {
  if (!data) return data;
  return mapItems(data, (items) => items.map((item) => (item.id === id ? todo : item)));
}

/** Removes the todo `id` from every page. */
export function removeTodo(data: TodoPages | undefined, id: string): TodoPages | undefined {
  if (!data) return data;
  return mapItems(data, (items) => items.filter((todo) => todo.id !== id));
}

/** A placeholder for a todo being created, recognisable by its id until the server answers. */
export function optimisticTodo(title: string, description: string | undefined, now: Date): Todo {
  const at = now.toISOString();
  return {
    id: `optimistic-${now.getTime()}-${Math.random().toString(36).slice(2, 8)}`,
    title,
    description,
    completed: false,
    createdAt: at,
    updatedAt: at,
  } as Todo;
}

export function isOptimistic(todo: Pick<Todo, 'id'>): boolean {
  return todo.id.startsWith('optimistic-');
}
