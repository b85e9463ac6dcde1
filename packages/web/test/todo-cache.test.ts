import { describe, expect, test } from 'vitest';
import type { Todo } from '../src/api/types.js';
import {
  flattenPages,
  insertTodo,
  isOptimistic,
  matchesFilter,
  optimisticTodo,
  patchTodo,
  removeTodo,
  type TodoPages,
} from '../src/todos/cache.js';

const todo = (id: string, completed = false): Todo => ({
  id,
  listId: 'default',
  title: `Todo ${id}`,
  description: null,
  completed,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
});

const pages = (...lists: Todo[][]): TodoPages => ({
  pages: lists.map((items, i) => ({ items, nextCursor: i < lists.length - 1 ? `c${i}` : null })),
  pageParams: lists.map((_, i) => (i === 0 ? undefined : `c${i - 1}`)),
});

describe('todo list cache', () => {
  test('merging pages keeps server order and shows a todo shifted onto the next page once', () => {
    const merged = flattenPages(pages([todo('a'), todo('b')], [todo('b'), todo('c')]));
    expect(merged.map((t) => t.id)).toEqual(['a', 'b', 'c']);
  });

  test('a completed todo leaves the open list and stays in the all list', () => {
    const data = pages([todo('a'), todo('b')]);
    expect(
      flattenPages(patchTodo(data, 'a', { completed: true }, 'open')).map((t) => t.id),
    ).toEqual(['b']);
    const all = flattenPages(patchTodo(data, 'a', { completed: true }, 'all'));
    expect(all.find((t) => t.id === 'a')?.completed).toBe(true);
  });

  test('a new todo is inserted at the top of all and open lists but not of done', () => {
    const fresh = optimisticTodo('Write docs', undefined, new Date('2026-02-01T00:00:00Z'));
    expect(isOptimistic(fresh)).toBe(true);
    expect(flattenPages(insertTodo(pages([todo('a')]), fresh, 'open'))[0]?.title).toBe(
      'Write docs',
    );
    expect(flattenPages(insertTodo(pages([todo('a', true)]), fresh, 'done'))).toHaveLength(1);
  });

  test('removing a todo takes it out of whichever page holds it', () => {
    const data = removeTodo(pages([todo('a')], [todo('b'), todo('c')]), 'b');
    expect(flattenPages(data).map((t) => t.id)).toEqual(['a', 'c']);
    expect(data?.pages).toHaveLength(2);
  });

  test('filters match by completion state', () => {
    expect(matchesFilter({ completed: true }, 'done')).toBe(true);
    expect(matchesFilter({ completed: true }, 'open')).toBe(false);
    expect(matchesFilter({ completed: false }, 'all')).toBe(true);
  });
});
