import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminal } from './support/run.js';
import { CLOSED_PORT, type Stack, startStack } from './support/stack.js';

/**
 * `todo doctor --web-origin`: the CORS preflight a browser sends before the web app's first
 * create, sent to the real API (which allows https://todo.example.com only), and the origin
 * compared with CORS_ORIGINS in the doctor's environment.
 */
describe('todo doctor --web-origin', () => {
  let stack: Stack;
  let configDir: string;
  const allowed = 'https://todo.example.com';
  const other = 'http://localhost:5173';

  beforeAll(async () => {
    stack = await startStack({ apiEnv: { CORS_ORIGINS: allowed } });
    configDir = await mkdtemp(join(tmpdir(), 'todo-doctor-cors-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const env = (more: Record<string, string> = {}) => ({
    TODO_CONFIG_DIR: configDir,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
    OIDC_ISSUER: stack.issuer,
    ...more,
  });

  it('finds nothing when the API allows the origin and CORS_ORIGINS lists it', async () => {
    const result = await terminal(env({ CORS_ORIGINS: allowed })).run(
      'doctor',
      '--web-origin',
      `${allowed}/`,
    );
    expect(result.out).toContain(`cors      ${allowed} allowed by the API at ${stack.apiUrl}`);
    expect(result.out).toMatch(/No problems found: the API would accept this setup\.$/);
    expect(result.code).toBe(0);
    // Without the option, nothing is sent to the API for it.
    const plain = await terminal(env({ CORS_ORIGINS: allowed })).run('doctor', '--json');
    expect(JSON.parse(plain.out)).not.toHaveProperty('cors');
  });

  it('names a refused origin with the variable and the value that fix it', async () => {
    const result = await terminal(env({ CORS_ORIGINS: allowed })).run(
      'doctor',
      '--web-origin',
      other,
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain(`cors      ${other} refused by the API at ${stack.apiUrl}`);
    expect(result.out).toContain(
      [
        '✗ cors_origin_refused (the browser refuses every call of the web app)',
        `  The API at ${stack.apiUrl} answers the preflight without Access-Control-Allow-Origin: the browser refuses every call of the web app opened at ${other} (CORS).`,
        `  fix (API configuration): To let the web app at ${other} call the API, set CORS_ORIGINS=${allowed},${other} in the API's environment and restart the API.`,
      ].join('\n'),
    );
    expect(result.out).toContain('1 problem found');
    const json = await terminal(env({ CORS_ORIGINS: allowed })).run(
      'doctor',
      '--web-origin',
      other,
      '--json',
    );
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      cors: { origin: other, preflight: 'refused', listed: false, code: 'cors_origin_refused' },
    });
  });

  it('says the running API has another CORS_ORIGINS when this environment lists the origin', async () => {
    const both = `${allowed},${other}`;
    const result = await terminal(env({ CORS_ORIGINS: both })).run('doctor', '--web-origin', other);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      `fix (API configuration): CORS_ORIGINS in this environment lists ${other}, so the API at ${stack.apiUrl} runs with another one (or it is not that API): restart it with CORS_ORIGINS=${both}.`,
    );
  });

  it('warns when the API allows the origin but this environment would not', async () => {
    // CORS_ORIGINS unset: the API's default, http://localhost:3000.
    const result = await terminal(env()).run('doctor', '--web-origin', allowed);
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      '✗ cors_origin_unlisted (the web app stops working when the API restarts with this environment)',
    );
    expect(result.out).toContain(
      `set CORS_ORIGINS=http://localhost:3000,${allowed} in the API's environment and restart the API.`,
    );
  });

  it('with --issuer, checks the running API alone; an API that cannot be reached is a problem', async () => {
    const withIssuer = await terminal(env()).run(
      'doctor',
      '--issuer',
      stack.issuer,
      '--web-origin',
      other,
      '--json',
    );
    const { cors } = JSON.parse(withIssuer.out) as { cors: Record<string, unknown> };
    expect(cors).not.toHaveProperty('listed');
    expect(cors.fix).toBe(
      `To let the web app at ${other} call the API, add ${other} to the API's CORS_ORIGINS (a comma list of origins) and restart the API.`,
    );
    const down = `http://127.0.0.1:${CLOSED_PORT}`;
    const result = await terminal(env({ CORS_ORIGINS: allowed, TODO_API_URL: down })).run(
      'doctor',
      '--web-origin',
      allowed,
    );
    expect(result.code).toBe(1);
    // Why it cannot be reached, as every other finding says it: nothing listens on that port.
    const why = '(connection refused: nothing listens there)';
    expect(result.out).toContain(
      `cors      ${allowed} not checked: the API at ${down} cannot be reached ${why}\n`,
    );
    expect(result.out).toContain('✗ cors_unchecked');
    expect(result.out).toContain(
      `  The API at ${down} cannot be reached ${why}, so whether it allows ${allowed} is unknown.`,
    );
    expect(result.out).toContain('Start the API, or name where it runs with --api (TODO_API_URL).');
  });

  it('refuses a web origin with a path as a usage error', async () => {
    for (const bad of [
      `${allowed}/app`,
      'todo.example.com',
      `${allowed}?x=1`,
      'ftp://todo.example.com',
    ]) {
      const result = await terminal(env()).run('doctor', '--web-origin', bad);
      expect({ bad, code: result.code, out: result.out }).toEqual({ bad, code: 2, out: '' });
      expect(result.err).toContain('--web-origin must be the origin the web app is opened at');
    }
  });
});
