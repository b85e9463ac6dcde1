import { describe, expect, test } from 'vitest';
import { renewalDelay } from '../src/auth/renewal-schedule.js';
import { safeReturnTo } from '../src/auth/user-manager.js';
import { defaultConfig, loadRuntimeConfig, parseConfig } from '../src/config/runtime-config.js';

describe('runtime configuration', () => {
  test('defaults follow DESIGN.md', () => {
    expect(defaultConfig).toEqual({
      issuer: 'http://localhost:8080/realms/todo-app',
      clientId: 'todo-ui',
      apiUrl: 'http://localhost:8000',
    });
  });

  test('keeps valid fields, falls back per field, keeps an issuer trailing slash', () => {
    const parsed = parseConfig(
      {
        issuer: 'https://sso.example.com/application/o/todo-app/',
        clientId: '',
        apiUrl: 'ftp://x',
      },
      defaultConfig,
    );
    expect(parsed).toEqual({
      issuer: 'https://sso.example.com/application/o/todo-app/',
      clientId: 'todo-ui',
      apiUrl: 'http://localhost:8000',
    });
  });

  test('a missing /config.json means the defaults', async () => {
    const notFound = async () => new Response('nope', { status: 404 });
    expect(await loadRuntimeConfig(notFound)).toBe(defaultConfig);
    const broken = async () => new Response('{', { status: 200 });
    expect(await loadRuntimeConfig(broken)).toBe(defaultConfig);
  });
});

describe('sign-in helpers', () => {
  test('return paths stay inside the app', () => {
    expect(safeReturnTo({ returnTo: '/reports' })).toBe('/reports');
    expect(safeReturnTo({ returnTo: 'https://evil.example' })).toBe('/');
    expect(safeReturnTo({ returnTo: '//evil.example' })).toBe('/');
    expect(safeReturnTo({ returnTo: '/callback?code=x' })).toBe('/');
    expect(safeReturnTo(undefined)).toBe('/');
  });

  test.each([
    '/\\evil.example',
    '/\\/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '/todos\u0000',
    '/todos\u007f',
  ])('refuses the return path %j (backslash or control character) and goes home', (returnTo) => {
    expect(safeReturnTo({ returnTo })).toBe('/');
  });

  test.each([
    ['/..//evil.example', '/'],
    ['/./..//evil.example/x', '/'],
    ['/reports/../callback?code=x', '/'],
    ['/x/../signed-out', '/'],
    ['/admin/./../reports', '/reports'],
  ])(
    'resolves dot segments before checking: %j goes to %j, never to a //host path',
    (returnTo, expected) => {
      expect(safeReturnTo({ returnTo })).toBe(expected);
    },
  );

  test('keeps ordinary paths with query and fragment', () => {
    expect(safeReturnTo({ returnTo: '/todos/?completed=true#top' })).toBe(
      '/todos/?completed=true#top',
    );
  });

  test('a 20 s token renews at 15 s, a 5 min token a minute early, never in a tight loop', () => {
    expect(renewalDelay(1000, 1020, 1000_000)).toBe(15_000);
    expect(renewalDelay(1000, 1300, 1000_000)).toBe(240_000);
    expect(renewalDelay(1000, 1020, 1030_000)).toBe(1000);
  });
});
