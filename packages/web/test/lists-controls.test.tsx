import { screen, within } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import type { TodoList } from '../src/api/types.js';
import { ListHeader } from '../src/lists/ListHeader.js';
import { ListsSidebar } from '../src/lists/ListsSidebar.js';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

function list(overrides: Partial<TodoList>): TodoList {
  return {
    id: '6f1c2b9e-8d4f-4c55-9a51-0c3e7e1d2a10',
    name: 'My todos',
    relation: 'owner',
    isDefault: true,
    todoCount: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    actions: ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'],
    ...overrides,
  };
}

const mine = list({});
const shared = list({
  id: '0b6f9c1e-3a7d-4b2e-8f10-5d4c3b2a1f00',
  name: 'Release checklist',
  relation: 'viewer',
  isDefault: false,
  todoCount: 3,
  actions: ['can_read'],
});

describe('lists sidebar and controls', () => {
  test('own lists first, shared ones apart, a role badge on each', () => {
    renderWithApi(
      <ListsSidebar lists={[mine, shared]} selected={shared.id} onSelect={() => {}} canCreate />,
      api.url,
    );
    const own = screen.getByRole('list', { name: 'My lists' });
    expect(within(own).getByRole('button').textContent).toContain('owner');
    const others = screen.getByRole('list', { name: 'Shared with me' });
    const entry = within(others).getByRole('button', { name: /Release checklist/ });
    expect(entry.textContent).toContain('viewer');
    expect(entry.getAttribute('aria-current')).toBe('true');
    expect(screen.queryByTestId('shared-empty')).toBeNull();
  });

  test('"Shared with me" says so when nothing is shared; no todos:write, no new list', () => {
    renderWithApi(
      <ListsSidebar lists={[mine]} selected={mine.id} onSelect={() => {}} canCreate={false} />,
      api.url,
    );
    expect(screen.getByTestId('shared-empty').textContent).toMatch(/Nothing is shared with you/);
    expect((screen.getByLabelText('New list name') as HTMLInputElement).disabled).toBe(true);
    expect(
      (screen.getByRole('button', { name: 'Create list' }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  test('a viewer gets every list control disabled, the owner of a default list all but delete', () => {
    const { unmount } = renderWithApi(<ListHeader list={shared} onDeleted={() => {}} />, api.url);
    for (const name of ['Rename', 'Share', 'Delete list']) {
      expect((screen.getByRole('button', { name }) as HTMLButtonElement).disabled).toBe(true);
    }
    unmount();
    renderWithApi(<ListHeader list={mine} onDeleted={() => {}} />, api.url);
    expect((screen.getByRole('button', { name: 'Rename' }) as HTMLButtonElement).disabled).toBe(
      false,
    );
    expect((screen.getByRole('button', { name: 'Share' }) as HTMLButtonElement).disabled).toBe(
      false,
    );
    expect(
      (screen.getByRole('button', { name: 'Delete list' }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  test('a list without can_create_todo shows its todos with their controls disabled', async () => {
    api.seed(1, () => ({ title: 'Tag the release', completed: true }));
    renderWithApi(<TodosScreen list={shared} />, api.url);
    const box = (await screen.findByRole('checkbox', {
      name: 'Tag the release',
    })) as HTMLInputElement;
    expect(box.checked).toBe(true);
    expect(box.disabled).toBe(true);
    for (const name of ['Edit “Tag the release”', 'Delete “Tag the release”', 'Add']) {
      expect((screen.getByRole('button', { name }) as HTMLButtonElement).disabled).toBe(true);
    }
    expect((screen.getByLabelText('New todo') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('read-only-note').textContent).toMatch(/view this list/);
    // The screen reads the list's own todos, not every todo.
    expect(api.requests.map((r) => r.path)).toContain(`/lists/${shared.id}/todos/`);
    expect(api.requests.map((r) => r.path)).not.toContain('/todos/');
  });
});
