import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test, vi } from 'vitest';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { UNDO_WINDOW_MS } from '../src/todos/use-delete-with-undo.js';
import { mouseFocus } from './support/focus-kind.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

const titles = () =>
  within(screen.getByRole('list', { name: /todos/ }))
    .queryAllByRole('checkbox')
    .map((box) => box.closest('li')?.querySelector('.todo__title')?.textContent);

const add = async (title: string) => {
  fireEvent.change(screen.getByLabelText('New todo'), { target: { value: title } });
  fireEvent.click(screen.getByRole('button', { name: 'Add' }));
  await waitFor(() => expect(api.todos.map((t) => t.title)).toContain(title));
};

describe('delete with undo while other things happen', () => {
  test('a todo waiting out its undo window stays hidden when the list refetches', async () => {
    api.seed(2);
    const { queryClient } = renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 1”' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 2']));
    const lists = api.requests.filter((r) => r.path === '/todos/').length;

    await queryClient.invalidateQueries();
    await waitFor(() =>
      expect(api.requests.filter((r) => r.path === '/todos/').length).toBeGreaterThan(lists),
    );

    expect(titles()).toEqual(['Todo 2']);
    expect(screen.getByRole('button', { name: 'Undo' })).toBeTruthy();
  });

  test('Undo after adding another todo keeps the new one and restores the deleted one', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 2”' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 1']));
    await add('Added meanwhile');
    await waitFor(() => expect(titles()).toEqual(['Added meanwhile', 'Todo 1']));

    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));

    await waitFor(() => expect(titles()).toEqual(['Added meanwhile', 'Todo 1', 'Todo 2']));
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  test('a refused DELETE brings the todo back without undoing later changes', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 2”' }));
    await add('Added meanwhile');
    await waitFor(() => expect(titles()).toEqual(['Added meanwhile', 'Todo 1']));
    api.failNext((r) => r.method === 'DELETE', 503, 50);

    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));

    expect(await screen.findByText(/Your change was not saved/)).toBeTruthy();
    await waitFor(() => expect(titles()).toEqual(['Added meanwhile', 'Todo 1', 'Todo 2']));
  });

  test('a todo deleted elsewhere during its undo window stays deleted, with no error', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 1”' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 2']));
    // Another tab or device deletes it meanwhile: this tab's DELETE finds it gone (404).
    api.todos = api.todos.filter((todo) => todo.title !== 'Todo 1');
    const seen: Array<Array<string | null | undefined>> = [];
    const observer = new MutationObserver(() => seen.push(titles()));
    observer.observe(document.body, { childList: true, subtree: true });

    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));

    await waitFor(() => expect(api.requests.some((r) => r.method === 'DELETE')).toBe(true));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Undo' })).toBeNull());
    await new Promise((resolve) => setTimeout(resolve, 200));
    observer.disconnect();
    // What the person asked for is what happened: it never came back, and nothing says it failed.
    expect(seen.filter((shown) => shown.includes('Todo 1'))).toEqual([]);
    expect(titles()).toEqual(['Todo 2']);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByText(/no longer exists/)).toBeNull();
  });

  test('the undo window waits while the pointer rests on the notice, and runs on when it leaves', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    const remove = await screen.findByRole('button', { name: 'Delete “Todo 1”' });
    // Deleted with the mouse: Undo's focus is not keyboard focus (jsdom counts every focus as
    // :focus-visible), so only the pointer holds the window.
    mouseFocus();
    // Fake time that also flows: the requests and waitFor keep working.
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      fireEvent.click(remove, { detail: 1 });
      const toast = (await screen.findByRole('button', { name: 'Undo' })).closest('.toast');
      if (!toast) throw new Error('no undo notice');
      fireEvent.pointerEnter(toast);
      await vi.advanceTimersByTimeAsync(UNDO_WINDOW_MS * 3);
      expect(screen.getByRole('button', { name: 'Undo' })).toBeTruthy();
      expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);

      fireEvent.pointerLeave(toast);
      await vi.advanceTimersByTimeAsync(UNDO_WINDOW_MS);
      await waitFor(() => expect(api.todos.map((t) => t.title)).toEqual(['Todo 2']));
      expect(screen.queryByRole('button', { name: 'Undo' })).toBeNull();
    } finally {
      vi.useRealTimers();
      vi.restoreAllMocks();
    }
  });
});
