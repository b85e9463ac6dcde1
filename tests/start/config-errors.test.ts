/**
 * `npm start` with a value it cannot use: one line naming the variable, exit code 78 (the API's
 * own EX_CONFIG), and nothing started or written first — no identity provider keys, no database.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, root } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function start(env: Record<string, string>) {
  const dataDir = join(scratch, `data-${Object.keys(env).join('-')}`);
  // Three different ports: a port released by one lookup can be handed out again by the next.
  const drawn = new Set<number>();
  while (drawn.size < 3) drawn.add(await freePort());
  const [IDP_PORT, API_PORT, WEB_PORT] = [...drawn];
  const ports = { IDP_PORT, API_PORT, WEB_PORT };
  const run = spawnSync(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      ...env,
    },
  });
  return { ...run, dataDir };
}

describe('npm start with a bad value', () => {
  it.each([
    ['IDP_PORT', 'abc', /IDP_PORT must be a port number from 1 to 65535, got "abc"/],
    ['API_PORT', '70000', /API_PORT must be a port number from 1 to 65535, got "70000"/],
    ['WEB_PORT', '-1', /WEB_PORT must be a port number from 1 to 65535, got "-1"/],
    ['RATE_LIMIT_PER_MINUTE', 'often', /RATE_LIMIT_PER_MINUTE: must be a whole number from 1/],
    ['OIDC_ISSUER', 'sso.example.com', /OIDC_ISSUER: must be an http:\/\/ or https:\/\/ URL/],
    ['TRUST_PROXY', 'true', /TRUST_PROXY: "true" would trust every hop/],
    [
      'CORS_ORIGINS',
      'https://todo.example.com/',
      /CORS_ORIGINS: "https:\/\/todo\.example\.com\/" is not an origin .*; write https:\/\/todo\.example\.com$/,
    ],
  ])('%s=%s stops it before anything starts', async (name, value, message) => {
    const run = await start({ [name]: value });
    expect(run.status).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^✗ Configuration error: /);
    expect(lines[0]).toMatch(message);
    expect(run.stdout).not.toContain('ready');
    // Nothing was written: no identity provider keys, no SQLite file.
    expect(existsSync(run.dataDir)).toBe(false);
  });
});

describe('npm start with two servers on one port', () => {
  it.each([
    [{ API_PORT: 'same', WEB_PORT: 'same' }, 'API_PORT and WEB_PORT'],
    [{ IDP_PORT: 'same', API_PORT: 'same' }, 'IDP_PORT and API_PORT'],
  ])('%j names both variables and starts nothing', async (env, names) => {
    const port = String(await freePort());
    const run = await start(
      Object.fromEntries(Object.keys(env).map((name) => [name, port])) as Record<string, string>,
    );
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toBe(
      `✗ Configuration error: ${names} are both ${port} (unset, they are 8080, 8000 and 3000): the identity provider, the API and the web app each need a port of their own`,
    );
    expect(run.stdout).not.toContain('ready');
    expect(existsSync(run.dataDir)).toBe(false);
  });

  it('counts an unset port at its default', async () => {
    const run = await start({ WEB_PORT: '', API_PORT: '3000' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('API_PORT and WEB_PORT are both 3000');
  });
});

describe('npm start with a DATA_DIR it cannot create', () => {
  it('a file on its path: one line naming DATA_DIR, nothing started', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const dataDir = join(file, 'data');
    const run = await start({ DATA_DIR: dataDir });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `✗ DATA_DIR ${dataDir} cannot be used (ENOTDIR: not a directory, mkdir '${dataDir}'): set DATA_DIR to a directory this user can write.`,
    );
    expect(run.stdout).not.toContain('ready');
  });
});

describe('npm start with a bad URL holding a key', () => {
  it('names the variable without repeating the query, the key it may hold', async () => {
    const run = await start({ AUTHZ_PDP_URL: 'pdp.internal/access/v1/evaluation?api_key=hunter2' });
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toMatch(
      /^✗ Configuration error: AUTHZ_PDP_URL: must be an http:\/\/ or https:\/\/ URL without spaces \(got "pdp\.internal\/access\/v1\/evaluation\?…"\)$/,
    );
    expect(run.stderr + run.stdout).not.toContain('hunter2');
  });
});
