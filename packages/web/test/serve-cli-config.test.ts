// @vitest-environment node
/**
 * `npm start -w @todo-sso/web` reads its settings from the environment: a value it cannot use
 * stops it before it listens, with one line naming the variable, what it must be and the value
 * given (exit 78, as the API), never a stack trace. Empty counts as unset, as for the API.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const cli = fileURLToPath(new URL('../serve-cli.mjs', import.meta.url));

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, [cli], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', WEB_HOST: '127.0.0.1', WEB_PORT: '0', ...env },
    timeout: 5_000,
  });
}

describe('the web server with a value it cannot use', () => {
  test.each([
    ['WEB_PORT', '99999', 'WEB_PORT must be a port number from 0 to 65535, got "99999"'],
    ['WEB_PORT', 'web', 'WEB_PORT must be a port number from 0 to 65535, got "web"'],
    [
      'API_URL',
      'api.example.com',
      'API_URL must be an http:// or https:// URL, got "api.example.com"',
    ],
    [
      'OIDC_ISSUER',
      'ftp://sso.example.com',
      'OIDC_ISSUER must be an http:// or https:// URL, got "ftp://sso.example.com"',
    ],
    [
      'WEB_CONNECT_ORIGINS',
      'https://a.example.com,cognito',
      'WEB_CONNECT_ORIGINS must be a comma list of http:// or https:// origins, got "cognito"',
    ],
    // A key in a query and a password in a URL are not repeated: this line reaches logs.
    [
      'API_URL',
      'api.example.com/v1?api_key=hunter2',
      'API_URL must be an http:// or https:// URL, got "api.example.com/v1?…"',
    ],
    [
      'OIDC_ISSUER',
      'ftp://ops:hunter2@sso.example.com/x#k=hunter3',
      'OIDC_ISSUER must be an http:// or https:// URL, got "ftp://…@sso.example.com/x#…"',
    ],
    // The app's configuration goes to every browser: a password in it would be published.
    [
      'API_URL',
      'https://ops:hunter2@api.example.com',
      'API_URL must not contain a user name or password, got "https://…@api.example.com"',
    ],
  ])('%s=%s stops it with one line', (name, value, line) => {
    const run = start({ [name]: value });
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toBe(`web: configuration error: ${line}`);
    expect(run.stdout).toBe('');
  });

  // Production takes no development default: the server would otherwise start and send every
  // browser to a provider and an API on the person's own machine.
  test.each([
    [{}, 'OIDC_ISSUER', 'http://localhost:8080/realms/todo-app'],
    [{ OIDC_ISSUER: 'https://sso.example.com/realms/todo-app' }, 'OIDC_CLIENT_ID', 'todo-ui'],
    [
      { OIDC_ISSUER: 'https://sso.example.com/realms/todo-app', OIDC_CLIENT_ID: 'todo-ui' },
      'API_URL',
      'http://localhost:8000',
    ],
    [
      {
        OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
        OIDC_CLIENT_ID: 'todo-ui',
        API_URL: ' ',
      },
      'API_URL',
      'http://localhost:8000',
    ],
  ])('NODE_ENV=production without %o stops it naming %s', (env, name, fallback) => {
    const run = start({ NODE_ENV: 'production', ...env });
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toBe(
      `web: configuration error: ${name} must be set with NODE_ENV=production (the development default is "${fallback}")`,
    );
    expect(run.stdout).toBe('');
  });

  test('NODE_ENV=production with the three set starts', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `Object.assign(process.env, { NODE_ENV: 'production', WEB_PORT: '0', WEB_HOST: '127.0.0.1',
           OIDC_ISSUER: 'https://sso.example.com/realms/todo-app', OIDC_CLIENT_ID: 'todo-ui',
           API_URL: 'https://api.example.com' });
         await import(${JSON.stringify(cli)});
         process.kill(process.pid, 'SIGTERM');`,
      ],
      { encoding: 'utf8', timeout: 5_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^web app on http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  test('an empty OIDC_CLIENT_ID takes the default, as an unset one', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `process.env.OIDC_CLIENT_ID = ''; process.env.WEB_PORT = '0'; process.env.WEB_HOST = '127.0.0.1';
         await import(${JSON.stringify(cli)});
         process.kill(process.pid, 'SIGTERM');`,
      ],
      { encoding: 'utf8', timeout: 5_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^web app on http:\/\/127\.0\.0\.1:\d+\n$/);
  });
});
