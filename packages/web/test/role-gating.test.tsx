import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { Header } from '../src/layout/Header.js';
import { can, visibleScreens } from '../src/me/permissions.js';
import { RequirePermission } from '../src/me/RequirePermission.js';
import { ReportsScreen } from '../src/reports/ReportsScreen.js';
import { renderWithApi } from './support/render.js';
import { type Identity, startTodoServer, type TodoServer } from './support/todo-server.js';

const alice: Partial<Identity> = {};
const carol: Partial<Identity> = {
  sub: 'sub-carol',
  username: 'carol',
  permissions: ['todos:read', 'todos:write', 'reports:generate'],
};
const admin: Partial<Identity> = {
  sub: 'sub-admin',
  username: 'admin',
  roles: ['admin'],
  permissions: [],
  department: null,
};

let api: TodoServer | undefined;
afterEach(async () => {
  cleanup();
  await api?.close();
});

describe('permission policy', () => {
  test('reports need reports:generate and admin passes every check', () => {
    const grants = (roles: string[], permissions: string[]) => ({ roles, permissions });
    expect(can(grants(['user'], ['todos:read']), 'reports:generate')).toBe(false);
    expect(can(grants(['user'], ['reports:generate']), 'reports:generate')).toBe(true);
    expect(can(grants(['admin'], []), 'users:manage')).toBe(true);
    expect(can({ roles: ['admin'], permissions: [], isAdmin: false }, 'users:manage')).toBe(false);
    expect(can(undefined, 'todos:read')).toBe(false);
  });

  test('navigation offers Reports to carol, Admin to admins, neither to alice', () => {
    expect(visibleScreens({ roles: ['user'], permissions: ['todos:read'] })).toEqual(['todos']);
    expect(visibleScreens({ roles: ['user'], permissions: ['reports:generate'] })).toEqual([
      'todos',
      'reports',
    ]);
    expect(visibleScreens({ roles: ['admin'], permissions: [] })).toEqual([
      'todos',
      'reports',
      'admin',
    ]);
  });
});

describe('role-aware screens', () => {
  test('alice opening Reports gets the 403 explained, and no request for the report', async () => {
    api = await startTodoServer(alice);
    renderWithApi(
      <RequirePermission permission="reports:generate" what="Reports">
        <ReportsScreen />
      </RequirePermission>,
      api.url,
    );
    expect(await screen.findByText("You don't have access to Reports")).toBeTruthy();
    expect(screen.getByText('reports:generate')).toBeTruthy();
    expect(api.requests.some((r) => r.path === '/reports/summary')).toBe(false);
  });

  test('carol sees the summary of her own department', async () => {
    api = await startTodoServer(carol);
    api.seed(3, (i) => ({ completed: i === 0 }));
    renderWithApi(
      <RequirePermission permission="reports:generate" what="Reports">
        <ReportsScreen />
      </RequirePermission>,
      api.url,
    );
    expect((await screen.findByTestId('report-department')).textContent).toBe('engineering');
    expect(screen.getByTestId('report-total').textContent).toBe('3');
    expect(screen.getByTestId('report-done').textContent).toBe('1');
    expect(screen.getByTestId('report-open').textContent).toBe('2');
  });

  test('a 403 from the API on a report is explained, not shown as a crash', async () => {
    api = await startTodoServer(carol);
    api.failNext((r) => r.path === '/reports/summary', 403);
    renderWithApi(<ReportsScreen />, api.url);
    expect(await screen.findByText(/You don't have access to the engineering report/)).toBeTruthy();
  });

  test('the header shows name, roles and department, and links by permission', () => {
    renderWithApi(
      <Header
        me={{
          sub: 's',
          issuer: 'i',
          username: 'carol',
          email: null,
          name: 'Carol',
          roles: ['user', 'default-roles-todo-app'],
          permissions: ['todos:read', 'todos:write', 'reports:generate'],
          department: 'engineering',
          isAdmin: false,
        }}
        fallbackName="carol"
        onSignOut={() => {}}
        signingOut={false}
      />,
      'http://127.0.0.1:9',
    );
    expect(screen.getByTestId('user-name').textContent).toBe('carol');
    expect(screen.getByTestId('user-roles').textContent).toBe('userreports:generate');
    expect(screen.getByTestId('user-department').textContent).toBe('engineering');
    expect(screen.getByRole('link', { name: 'Reports' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
  });

  test('an admin reaches Admin', async () => {
    api = await startTodoServer(admin);
    renderWithApi(
      <RequirePermission permission="users:manage" what="Admin">
        <p>admin area</p>
      </RequirePermission>,
      api.url,
    );
    expect(await screen.findByText('admin area')).toBeTruthy();
  });
});
