import { fireEvent, screen } from '@testing-library/react';
import { beforeAll, describe, expect, test } from 'vitest';
import type { TodoList } from '../src/api/types.js';
import { ShareDialog } from '../src/lists/ShareDialog.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';
import type { RecordedRequest } from './support/todo-server.js';

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

const list: TodoList = {
  id: '0b6c4f7e-2a1d-4e8b-9c3f-5d7a8e9f0a12',
  name: 'Trips',
  relation: 'owner',
  isDefault: false,
  todoCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  actions: ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'],
};

/** The API's 404 for a username when it trusts several issuers (lists/service.ts `onePerson`). */
const OTHER_ISSUER =
  'No person known as <b>dave</b>: the API knows a person once they have used their todos or lists (in the web app, with the todo command or through an assistant); signing in alone is not enough; a username names a person of your own identity provider only: name a person of another identity provider by their email, once their provider says it is verified (email_verified)';

const shareDave = async (status: number, detail?: string) => {
  renderWithApi(<ShareDialog list={list} onClose={() => {}} />, api.url);
  const put = (r: RecordedRequest) => r.method === 'PUT' && r.path.includes('/members/');
  api.failNext(put, status, 0, {}, detail);
  fireEvent.change(screen.getByLabelText('Username or email'), {
    target: { value: '<b>dave</b>' },
  });
  fireEvent.click(screen.getByRole('button', { name: 'Share' }));
  const said = await screen.findByRole('alert');
  expect(api.requests.filter(put)).toHaveLength(1);
  return said;
};

describe('a share the API refuses', () => {
  test("a 404 says the API's detail whole, as text: another issuer's people by verified email", async () => {
    const said = await shareDave(404, OTHER_ISSUER);
    expect(said.textContent).toBe(OTHER_ISSUER);
    expect(said.querySelector('b')).toBeNull();
  });

  test('a 404 without a detail says how a person becomes known, in the app’s words', async () => {
    const said = await shareDave(404);
    expect(said.textContent).toBe(
      'Nobody known as “<b>dave</b>”: they need to open their todos once (in this app or with the todo command) before you can share with them.',
    );
  });

  test("a 404's detail without control characters, and bounded", async () => {
    const said = await shareDave(404, `Nobody\u202e here\u0007 ${'x'.repeat(1000)}`);
    expect(said.textContent).toMatch(/^Nobody here x+…$/);
    expect(Array.from(said.textContent ?? '')).toHaveLength(700);
  });
});
