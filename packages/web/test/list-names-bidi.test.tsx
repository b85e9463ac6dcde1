import { fireEvent, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, test } from 'vitest';
import type { TodoList } from '../src/api/types.js';
import { ListHeader } from '../src/lists/ListHeader.js';
import { ListsSidebar } from '../src/lists/ListsSidebar.js';
import { ShareDialog } from '../src/lists/ShareDialog.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

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
 * A list name or a username (written by someone else) ending in a right-to-left override left
 * open (U+202E): the screen shows it unchanged but isolated, and the accessible names built
 * from it carry no direction control (Unicode UTS #55), as the todo titles' do.
 */
const RLO = '\u202e';
const DIRECTION_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

const pantry: TodoList = {
  id: '6f1c2b9e-8d4f-4c55-9a51-0c3e7e1d2a10',
  name: `Pantry${RLO}`,
  relation: 'owner',
  isDefault: false,
  todoCount: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  actions: ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'],
};

describe('names written by others, in accessible names', () => {
  test("the sidebar's list button is named name, role, count without the override", () => {
    renderWithApi(
      <ListsSidebar lists={[pantry]} selected={pantry.id} onSelect={() => {}} canCreate />,
      api.url,
    );
    const entry = within(screen.getByRole('list', { name: 'My lists' })).getByRole('button');
    expect(entry).toHaveProperty('textContent', `Pantry${RLO}owner2`);
    expect(screen.getByRole('button', { name: 'Pantry, owner, 2 todos' })).toBe(entry);
  });

  test("the list's heading is named without the override, and shows the name unchanged", () => {
    renderWithApi(<ListHeader list={pantry} onDeleted={() => {}} />, api.url);
    const heading = screen.getByRole('heading', { level: 1 });
    expect(screen.getByRole('heading', { level: 1, name: 'Pantry' })).toBe(heading);
    expect(heading.textContent).toBe(`Pantry${RLO}`);
    expect(heading.getAttribute('dir')).toBe('auto');
  });

  test("the share dialog isolates members' usernames and names their controls without the override", async () => {
    api.members = [
      { sub: 'sub-alice', username: `alice${RLO}`, relation: 'owner' },
      { sub: 'sub-bob', username: `bob${RLO}`, relation: 'editor' },
    ];
    renderWithApi(<ShareDialog list={pantry} onClose={() => {}} />, api.url);
    const role = await screen.findByRole('combobox', { name: 'Role of bob' });
    const remove = screen.getByRole('button', { name: 'Remove bob' });
    const rows = within(screen.getByRole('list', { name: 'Members' })).getAllByRole('listitem');
    for (const [row, username] of [
      [rows[0], `alice${RLO}`],
      [rows[1], `bob${RLO}`],
    ] as const) {
      const shown = within(row as HTMLElement).getByText(username);
      // Isolated: the override cannot reach the role or the buttons after it (HTML's dir=auto).
      expect(shown.closest('[dir="auto"], bdi')).not.toBeNull();
    }
    expect(role.closest('li')).toBe(rows[1]);

    api.failNext((r) => r.method === 'DELETE', 503);
    fireEvent.click(remove);
    const said = await screen.findByRole('alert');
    expect(said.textContent).toMatch(/^bob was not removed: /);
    expect(said.textContent).not.toMatch(DIRECTION_CONTROLS);
  });
});
