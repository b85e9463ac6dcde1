import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { cachedTodo } from '../src/todos/queries.js';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

/** The deletes kept for the next load (`src/todos/delete-in-flight.ts`): id and version. */
function kept(): Array<{ id: string; version: number }> {
  const raw = window.sessionStorage.getItem('todo-sso.draft.deletes') ?? '[]';
  const items = JSON.parse(raw) as Array<{ id: string; version: number }>;
  return items.map(({ id, version }) => ({ id, version }));
}

describe('a delete kept for the next load', () => {
  test('asked for while the todo’s own toggle was on its way: kept with the version the toggle made', async () => {
    api.seed(1, () => ({ version: 1 }));
    const { queryClient } = renderWithApi(<TodosScreen />, api.url);
    const box = await screen.findByRole('checkbox', { name: 'Todo 1' });
    const id = api.todos[0]?.id ?? '';
    api.delayNext((r) => r.method === 'PATCH', 300);
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Delete “Todo 1”' }));
    expect(kept()).toEqual([{ id, version: 1 }]);

    // The toggle is answered within the undo window (this tab now holds version 2): a reload now
    // must not leave the delete to go with the version before this tab's own toggle, which the
    // API would refuse as changed elsewhere (412).
    await waitFor(() => expect(cachedTodo(queryClient, id)?.version).toBe(2));
    expect(kept()).toEqual([{ id, version: 2 }]);
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });
});
