/**
 * A variable the API does not read but that looks like one it does (TRUSTED_PROXIES for
 * TRUST_PROXY, OIDC_AUDIANCE, CORS_ORIGIN) is read as unset: the API would start with that
 * setting's default and nothing would say why. The API says so at start, naming both variables
 * (`todo doctor` and `npm start` print the same sentence), on SQLite and on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { misspeltVariables } from '../src/config/variable-names.js';
import { configWarnings } from '../src/config/warnings.js';

const postgres = {
  OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
  DATABASE_URL: 'postgres://todo_sso:secret@db:5432/todo_sso',
  OIDC_CLIENT_ID: 'todo-api',
  OIDC_CLIENT_SECRET: 'a-secret',
  API_PUBLIC_URL: 'https://api.example.com',
};

const warningsOf = (env: Record<string, string>) => configWarnings(loadConfig(env), env);

describe('a misspelt variable', () => {
  it('is a warning naming it and the variable it resembles, on PostgreSQL and SQLite', () => {
    const proxies = { ...postgres, TRUSTED_PROXIES: '1' };
    expect(warningsOf(proxies)).toEqual([
      "TRUSTED_PROXIES is set, but the API reads no variable of that name, and TRUST_PROXY is not set: if TRUST_PROXY is meant, rename TRUSTED_PROXIES to TRUST_PROXY (until then the API runs with TRUST_PROXY's default)",
    ]);
    expect(warningsOf({ CORS_ORIGIN: 'https://todo.example.com' })).toEqual([
      expect.stringMatching(/^CORS_ORIGIN is set, .* rename CORS_ORIGIN to CORS_ORIGINS /),
    ]);
  });

  it('is found by a letter or two off, or by a plural or past ending', () => {
    const cases: Record<string, string> = {
      OIDC_AUDIANCE: 'OIDC_AUDIENCE',
      OIDC_AUDIENCES: 'OIDC_AUDIENCE',
      DATABSE_URL: 'DATABASE_URL',
      OIDC_CLIENTID: 'OIDC_CLIENT_ID',
      API_PUBLIC_URI: 'API_PUBLIC_URL',
      TRUST_PROXIES: 'TRUST_PROXY',
      LOGLEVEL: 'LOG_LEVEL',
    };
    for (const [name, meant] of Object.entries(cases))
      expect(misspeltVariables({ [name]: 'x' }), name).toEqual([
        expect.stringContaining(`rename ${name} to ${meant} `),
      ]);
  });

  it('is not warned about beside the right variable, nor for what other programs read', () => {
    expect(warningsOf({ ...postgres, TRUSTED_PROXIES: '1', TRUST_PROXY: '1' })).toEqual([]);
    const elsewhere = [
      // npm start, the development identity provider, the web app, the todo command, the tests
      ...['API_PORT', 'IDP_PORT', 'WEB_PORT', 'WEB_HOST', 'IDP_PUBLIC_URL', 'WEB_PUBLIC_URL'],
      ...['API_URL', 'TODO_ISSUER', 'TODO_CLIENT_ID', 'TODO_API_URL', 'TEST_DATABASE_URL'],
      // the system's and Node's
      ...['HOME', 'HOSTNAME', 'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'XDG_DATA_DIRS', 'LOGNAME'],
    ];
    expect(misspeltVariables(Object.fromEntries(elsewhere.map((name) => [name, 'x'])))).toEqual([]);
    expect(misspeltVariables({ ...postgres, oidc_audience: 'x' })).toEqual([]);
  });
});

describe('server.ts with a misspelt variable (the built dist/server.js)', () => {
  const distServer = new URL('../dist/server.js', import.meta.url).pathname;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'todo-misspelt-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts and says so on stderr', async () => {
    const child = spawn(process.execPath, [distServer], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        // Never reached: the API starts and waits for it.
        OIDC_ISSUER: 'http://127.0.0.1:9/realms/todo-app',
        TRUSTED_PROXIES: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    while (!/listening on \S+/.test(output.stdout) && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output.stdout, output.stderr).toMatch(/listening on \S+/);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
    expect(output.stderr).toMatch(
      /^todo-api: warning: TRUSTED_PROXIES is set, but the API reads no variable of that name, and TRUST_PROXY is not set: /m,
    );
  });
});
