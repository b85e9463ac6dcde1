import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  renderRoot,
  storeSignedInUser,
  UNREACHABLE_ISSUER,
  userStorageKey,
} from './support/signed-in-root.js';
import { startTodoServer, type TodoServer } from './support/todo-server.js';

let api: TodoServer;
beforeEach(async () => {
  window.sessionStorage.clear();
  window.history.replaceState(null, '', '/');
  api = await startTodoServer();
});
afterEach(async () => {
  cleanup();
  await api.close();
});

describe('sign-out', () => {
  test('with the identity provider unreachable, signs out locally and says the IdP session may remain', async () => {
    storeSignedInUser(UNREACHABLE_ISSUER);
    renderRoot({ issuer: UNREACHABLE_ISSUER, apiUrl: api.url });
    await screen.findByText('Your todos');

    await userEvent.click(screen.getByRole('button', { name: 'Sign out' }));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/could not end your session at your identity provider/i);
    expect(alert.textContent).toMatch(/may still be signed in/i);
    expect(screen.queryByText(/Sign-in did not complete/)).toBeNull();
    expect(screen.queryByText(/ended here and at your identity provider/)).toBeNull();
    expect(window.location.pathname).toBe('/signed-out');
    expect(window.sessionStorage.getItem(userStorageKey(UNREACHABLE_ISSUER))).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in again' })).toBeTruthy();
  });
});
