import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

describe('keyboard focus after actions', () => {
  test('saving an inline edit puts focus back on that todo’s Edit button', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit “Todo 1”' }));
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Renamed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));

    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Edit “Renamed”' })),
    );
  });

  test('deleting moves focus to Undo, and Undo puts it back on the restored todo', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    const del = await screen.findByRole('button', { name: 'Delete “Todo 1”' });
    del.focus();
    fireEvent.click(del);

    const undo = await screen.findByRole('button', { name: 'Undo' });
    await waitFor(() => expect(document.activeElement).toBe(undo));
    fireEvent.click(undo);

    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('checkbox', { name: 'Todo 1' })),
    );
  });

  test('when the toast goes with focus on it, focus moves to the list heading', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 1”' }));
    const dismiss = await screen.findByRole('button', { name: 'Dismiss' });
    dismiss.focus();
    fireEvent.click(dismiss);

    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Your todos' })),
    );
  });
});
