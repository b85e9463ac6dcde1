import { describe, expect, test } from 'vitest';
import { renewalDelay } from '../src/auth/renewal-schedule.js';
import { safeReturnTo } from '../src/auth/user-manager.js';
import {
  ConfigError,
  defaultConfig,
  loadRuntimeConfig,
  parseConfig,
} from '../src/config/runtime-config.js';

describe('runtime configuration', () => {
  test('defaults follow the dev realm', () => {
    expect(defaultConfig).toEqual({
      issuer: 'http://localhost:8080/realms/todo-app',
      clientId: 'todo-ui',
      apiUrl: 'http://localhost:8000',
    });
  });

  test('takes absent fields from the defaults and keeps an issuer trailing slash', () => {
    const parsed = parseConfig(
      { issuer: 'https://sso.example.com/application/o/todo-app/' },
      defaultConfig,
    );
    expect(parsed).toEqual({
      issuer: 'https://sso.example.com/application/o/todo-app/',
      clientId: 'todo-ui',
      apiUrl: 'http://localhost:8000',
    });
    expect(parseConfig({ apiUrl: 'https://api.example.com//' }, defaultConfig).apiUrl).toBe(
      'https://api.example.com',
    );
  });

  test.each([
    [{ issuer: 'ftp://sso.example.com' }, 'issuer'],
    [{ issuer: 'not a url' }, 'issuer'],
    [{ clientId: '' }, 'clientId'],
    [{ clientId: 42 }, 'clientId'],
    [{ apiUrl: 'javascript:alert(1)' }, 'apiUrl'],
    [{ apiUrl: null }, 'apiUrl'],
  ])('refuses %j, naming the field, instead of falling back', (input, name) => {
    expect(() => parseConfig(input, defaultConfig)).toThrow(ConfigError);
    expect(() => parseConfig(input, defaultConfig)).toThrow(`"${name}" is not usable`);
  });

  test.each([[null], [[]], ['x'], [3]])('refuses a /config.json that is %j', (input) => {
    expect(() => parseConfig(input, defaultConfig)).toThrow('/config.json is not a JSON object');
  });

  test('no /config.json (404) means the defaults, asked for as JSON', async () => {
    const seen: RequestInit[] = [];
    const notFound = async (_url: unknown, init?: RequestInit) => {
      if (init) seen.push(init);
      return new Response('nope', { status: 404 });
    };
    expect(await loadRuntimeConfig(notFound as typeof fetch)).toBe(defaultConfig);
    expect(seen[0]?.headers).toEqual({ accept: 'application/json' });
    expect(seen[0]?.cache).toBe('no-store');
  });

  test.each([
    ['broken JSON', async () => new Response('{', { status: 200 }), 'not valid JSON'],
    ['a server error', async () => new Response('', { status: 503 }), 'HTTP 503'],
    [
      'no answer',
      async () => {
        throw new TypeError('fetch failed');
      },
      'did not answer',
    ],
  ])('%s is a ConfigError, never the defaults', async (_name, fetchImpl, message) => {
    const loading = loadRuntimeConfig(fetchImpl as typeof fetch);
    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loadRuntimeConfig(fetchImpl as typeof fetch)).rejects.toThrow(message);
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
