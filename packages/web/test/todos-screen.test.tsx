import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

const list = () => screen.getByRole('list', { name: /todos/ });
const titles = () =>
  within(list())
    .queryAllByRole('checkbox')
    .map((box) => box.closest('li')?.querySelector('.todo__title')?.textContent);

describe('todos screen', () => {
  test('shows the empty state when the API has no todos', async () => {
    renderWithApi(<TodosScreen />, api.url);
    expect(await screen.findByText('Nothing to do yet')).toBeTruthy();
    expect(api.requests[0]?.authorization).toBe('Bearer token-1');
  });

  test('"Load more" appends the next page using the cursor', async () => {
    api.seed(25);
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Todo 1');
    expect(titles()).toHaveLength(20);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByText('Todo 25');
    expect(titles()).toHaveLength(25);
    const second = api.requests.filter((r) => r.path === '/todos/')[1];
    expect(second?.query.get('cursor')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  test('the Done filter asks the API for completed=true and shows only those', async () => {
    api.seed(4, (i) => ({ completed: i % 2 === 1 }));
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Todo 1');
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 2', 'Todo 4']));
    expect(api.requests.at(-1)?.query.get('completed')).toBe('true');
    expect(screen.getByRole('button', { name: 'Done' }).getAttribute('aria-pressed')).toBe('true');
  });

  test('toggling shows at once and rolls back with a message when the API refuses', async () => {
    api.seed(1);
    renderWithApi(<TodosScreen />, api.url);
    const box = (await screen.findByRole('checkbox', { name: 'Todo 1' })) as HTMLInputElement;
    api.failNext((r) => r.method === 'PATCH', 500, 150);
    fireEvent.click(box);
    await waitFor(() =>
      expect((screen.getByRole('checkbox') as HTMLInputElement).checked).toBe(true),
    );
    expect(await screen.findByText(/Your change was not saved/)).toBeTruthy();
    await waitFor(() =>
      expect((screen.getByRole('checkbox') as HTMLInputElement).checked).toBe(false),
    );
    expect(api.todos[0]?.completed).toBe(false);
  });

  test('adding shows the todo before the API answers and keeps it once created', async () => {
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Nothing to do yet');
    fireEvent.change(screen.getByLabelText('New todo'), { target: { value: 'Ship it' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(await screen.findByText('Ship it')).toBeTruthy();
    await waitFor(() => expect(api.todos.map((t) => t.title)).toEqual(['Ship it']));
    expect((screen.getByLabelText('New todo') as HTMLInputElement).value).toBe('');
    await waitFor(() =>
      expect(window.sessionStorage.getItem('todo-sso.draft.new.title')).toBeNull(),
    );
  });

  test('a refused create removes the row and gives the typed title back', async () => {
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Nothing to do yet');
    // A 500, not a 503: an add that gets a 503 is tried again first (add-in-flight.test.tsx).
    api.failNext((r) => r.method === 'POST', 500, 100);
    fireEvent.change(screen.getByLabelText('New todo'), { target: { value: 'Do not lose me' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect(await screen.findByText('Do not lose me')).toBeTruthy();
    await screen.findByText(/Your change was not saved/);
    await waitFor(() =>
      expect((screen.getByLabelText('New todo') as HTMLInputElement).value).toBe('Do not lose me'),
    );
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(api.todos).toHaveLength(0);
  });

  test('text typed before a sign-in round trip is back in its field afterwards', async () => {
    api.seed(1);
    const first = renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Todo 1');
    fireEvent.change(screen.getByLabelText('New todo'), { target: { value: 'half-typed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Edit “Todo 1”' }));
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'edit in progress' } });
    first.unmount(); // the page leaves for the identity provider
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByDisplayValue('edit in progress');
    expect((screen.getByLabelText('New todo') as HTMLInputElement).value).toBe('half-typed');
  });

  test('inline edit saves title and notes with PATCH', async () => {
    api.seed(1);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit “Todo 1”' }));
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Renamed' } });
    fireEvent.change(screen.getByLabelText('Notes'), { target: { value: 'with notes' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Renamed')).toBeTruthy();
    await waitFor(() => expect(api.todos[0]?.description).toBe('with notes'));
    expect(api.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      title: 'Renamed',
      description: 'with notes',
    });
  });

  test('delete hides the todo at once and Undo brings it back without a DELETE', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 1”' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 2']));
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(titles()).toEqual(['Todo 1', 'Todo 2']));
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  test('dismissing the undo toast sends the DELETE', async () => {
    api.seed(2);
    renderWithApi(<TodosScreen />, api.url);
    fireEvent.click(await screen.findByRole('button', { name: 'Delete “Todo 1”' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(api.todos.map((t) => t.title)).toEqual(['Todo 2']));
    expect(titles()).toEqual(['Todo 2']);
  });

  test('a failed list load shows the error with a retry that recovers', async () => {
    api.failNext((r) => r.path === '/todos/', 503);
    api.seed(1);
    renderWithApi(<TodosScreen />, api.url);
    expect(await screen.findByText("Couldn't load your todos")).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Todo 1')).toBeTruthy();
  });
});

describe('toggling quickly', () => {
  test('two quick toggles reach the API in click order, so the last click wins', async () => {
    api.seed(1);
    renderWithApi(<TodosScreen />, api.url);
    const box = (await screen.findByRole('checkbox', { name: 'Todo 1' })) as HTMLInputElement;
    // The first PATCH is slow to arrive; the second must not overtake it.
    api.delayNext((r) => r.method === 'PATCH', 300);
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Todo 1' }));

    await waitFor(() => expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 400));
    await waitFor(() =>
      expect((screen.getByRole('checkbox', { name: 'Todo 1' }) as HTMLInputElement).checked).toBe(
        false,
      ),
    );
    expect(api.todos[0]?.completed).toBe(false);
  });
});
