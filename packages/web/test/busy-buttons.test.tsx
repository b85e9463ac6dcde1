import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeAll, describe, expect, test } from 'vitest';
import type { TodoList } from '../src/api/types.js';
import { ListHeader } from '../src/lists/ListHeader.js';
import { ListsSidebar } from '../src/lists/ListsSidebar.js';
import { ShareDialog } from '../src/lists/ShareDialog.js';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';
import type { RecordedRequest } from './support/todo-server.js';

const api = freshPageEachTest();

/** Long enough that the busy state is seen on a loaded machine, short enough to wait out. */
const SLOW_MS = 800;

const list: TodoList = {
  id: '6f1c2b9e-8d4f-4c55-9a51-0c3e7e1d2a10',
  name: 'Groceries',
  relation: 'owner',
  isDefault: false,
  todoCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  actions: ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'],
};

beforeAll(() => {
  // jsdom has no modal dialogs; the share dialog only needs to be open.
  HTMLDialogElement.prototype.showModal ??= function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close ??= function close(this: HTMLDialogElement) {
    this.open = false;
  };
});

/**
 * Presses `button` with the focus on it, as a keyboard user does, and checks it through the
 * request: announced unavailable (`aria-disabled`) but never `disabled` (which drops the focus
 * in Chromium), the focus still on it, and a second press ignored. Returns once `settled()`.
 */
async function pressThroughRequest(
  button: HTMLElement,
  busyName: string | RegExp,
  sent: () => RecordedRequest[],
  settled: () => Promise<unknown>,
) {
  button.focus();
  fireEvent.click(button);
  const busy = await screen.findByRole('button', { name: busyName });
  expect(busy).toBe(button);
  expect(busy.getAttribute('aria-disabled')).toBe('true');
  expect((busy as HTMLButtonElement).disabled).toBe(false);
  expect(document.activeElement).toBe(button);
  await waitFor(() => expect(sent()).toHaveLength(1));
  fireEvent.click(button);
  await settled();
  await waitFor(() => expect(button.getAttribute('aria-disabled')).toBeNull());
  expect(sent()).toHaveLength(1);
  expect(button.isConnected).toBe(true);
  expect(document.activeElement).toBe(button);
}

describe('a pressed button that stays on screen keeps the focus while its request is under way', () => {
  test('Load more: one request for two presses, the focus on it when the next page is in', async () => {
    api.seed(45);
    renderWithApi(<TodosScreen />, api.url);
    await screen.findByText('Todo 20');
    const nextPage = (r: RecordedRequest) => r.path === '/todos/' && r.query.has('cursor');
    api.delayNext(nextPage, SLOW_MS);
    await pressThroughRequest(
      screen.getByRole('button', { name: 'Load more' }),
      'Loading…',
      () => api.requests.filter(nextPage),
      () => screen.findByText('Todo 40'),
    );
    expect(screen.getByRole('button', { name: 'Load more' })).toBe(document.activeElement);
  });

  test('Save name: one PATCH for two presses, the focus on it when the refusal is said', async () => {
    renderWithApi(<ListHeader list={list} onDeleted={() => {}} />, api.url);
    fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    fireEvent.change(screen.getByLabelText('List name'), { target: { value: 'Food' } });
    const patch = (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/lists/${list.id}`;
    api.failNext(patch, 503, SLOW_MS);
    const save = screen.getByRole('button', { name: 'Save name' });
    await pressThroughRequest(
      save,
      'Save name',
      () => api.requests.filter(patch),
      () => screen.findByRole('alert'),
    );
    // The field stays open with the name typed, to try again.
    expect((screen.getByLabelText('List name') as HTMLInputElement).value).toBe('Food');
  });

  test('Share: one PUT for two presses, the focus on it when the outcome is said', async () => {
    renderWithApi(<ShareDialog list={list} onClose={() => {}} />, api.url);
    fireEvent.change(screen.getByLabelText('Username or email'), { target: { value: 'bob' } });
    const put = (r: RecordedRequest) => r.method === 'PUT' && r.path.endsWith('/members/bob');
    api.failNext(put, 503, SLOW_MS);
    await pressThroughRequest(
      screen.getByRole('button', { name: 'Share' }),
      'Share',
      () => api.requests.filter(put),
      // A refusal is said as one.
      () => screen.findByRole('alert'),
    );
  });

  test('Remove: one DELETE for two presses, and the role field ignores a change while its PUT is under way', async () => {
    api.members = [
      { sub: 'sub-alice', username: 'alice', relation: 'owner' },
      { sub: 'sub-bob', username: 'bob', relation: 'editor' },
    ];
    renderWithApi(<ShareDialog list={list} onClose={() => {}} />, api.url);
    const remove = await screen.findByRole('button', { name: 'Remove bob' });
    const del = (r: RecordedRequest) => r.method === 'DELETE' && r.path.endsWith('/members/bob');
    api.failNext(del, 503, SLOW_MS);
    await pressThroughRequest(
      remove,
      'Remove bob',
      () => api.requests.filter(del),
      // The refusal is said in the row.
      () => screen.findByRole('alert'),
    );
    expect(screen.getByRole('alert').textContent).toMatch(/^bob was not removed: /);

    const role = screen.getByRole('combobox', { name: 'Role of bob' }) as HTMLSelectElement;
    const put = (r: RecordedRequest) => r.method === 'PUT' && r.path.endsWith('/members/bob');
    api.failNext(put, 503, SLOW_MS);
    role.focus();
    fireEvent.change(role, { target: { value: 'viewer' } });
    await waitFor(() => expect(role.getAttribute('aria-disabled')).toBe('true'));
    expect(role.disabled).toBe(false);
    expect(document.activeElement).toBe(role);
    await waitFor(() => expect(api.requests.filter(put)).toHaveLength(1));
    fireEvent.change(role, { target: { value: 'editor' } });
    await waitFor(() => expect(role.getAttribute('aria-disabled')).toBeNull());
    expect(api.requests.filter(put)).toHaveLength(1);
    expect(document.activeElement).toBe(role);
    // The role shown is still the stored one, and the refusal replaces the earlier one.
    expect(role.value).toBe('editor');
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toMatch(/^The role of bob was not changed: /),
    );
    expect(screen.getAllByRole('alert')).toHaveLength(1);
  });

  test('Create list: one POST for two presses, the focus on it when the refusal is said', async () => {
    renderWithApi(
      <ListsSidebar lists={[list]} selected={list.id} onSelect={() => {}} canCreate />,
      api.url,
    );
    fireEvent.change(screen.getByLabelText('New list name'), { target: { value: 'Trips' } });
    const post = (r: RecordedRequest) => r.method === 'POST' && r.path === '/lists/';
    // A refusal that is final (a 503 would be sent again under the same key).
    api.failNext(post, 500, SLOW_MS);
    await pressThroughRequest(
      screen.getByRole('button', { name: 'Create list' }),
      'Create list',
      () => api.requests.filter(post),
      () => screen.findByRole('alert'),
    );
  });
});
