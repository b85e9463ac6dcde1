import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminal, writeSession } from './support/run.js';

/**
 * Tokens go to the issuer and the API named by flags, the environment or the last login: over
 * plain http only on this machine (RFC 6750 §5.3, RFC 9700 §2.6: bearer tokens need TLS), so a
 * typo such as `--api http://todo.example.com` never sends one in clear over a network.
 */
describe('where todo sends tokens', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-cli-settings-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses http for another host, and accepts it for localhost and loopback addresses', async () => {
    const todo = terminal({ TODO_CONFIG_DIR: dir, TODO_TOKEN_STORE: 'file' });
    const api = await todo.run('whoami', '--api', 'http://todo.example.com');
    expect(api).toMatchObject({
      code: 2,
      err: 'todo whoami: --api must be https: tokens are sent to it, and http is for this machine only (localhost, 127.0.0.1, [::1]); got "http://todo.example.com"',
    });
    const issuer = await todo.run('logout', '--issuer', 'http://10.0.0.5:8080/realms/todo-app');
    expect(issuer.code).toBe(2);
    expect(issuer.err).toContain('--issuer must be https');
    for (const local of [
      'http://localhost:1',
      'http://127.0.0.1:1',
      'http://[::1]:1',
      'https://todo.example.com',
    ])
      expect(await todo.run('logout', '--api', local)).toMatchObject({
        code: 0,
        out: 'Not signed in.',
      });
  });

  it('names the environment variable when the bad URL came from it, and the flag when from the command line', async () => {
    const fromEnv = terminal({
      TODO_CONFIG_DIR: dir,
      TODO_TOKEN_STORE: 'file',
      TODO_API_URL: 'http://todo.example.com',
      TODO_ISSUER: 'http://10.0.0.5:8080/realms/todo-app',
    });
    const issuer = await fromEnv.run('whoami');
    expect(issuer.code).toBe(2);
    expect(issuer.err).toMatch(/^todo whoami: TODO_ISSUER must be https: /);
    const api = await fromEnv.run('whoami', '--issuer', 'https://idp.example');
    expect(api.code).toBe(2);
    expect(api.err).toMatch(/^todo whoami: TODO_API_URL must be https: /);
    const bad = await fromEnv.run(
      'whoami',
      '--issuer',
      'https://idp.example',
      '--api',
      'not a url',
    );
    expect(bad).toMatchObject({
      code: 2,
      err: 'todo whoami: --api must be an http(s) URL, got "not a url"',
    });
    const flagWins = await terminal({
      TODO_CONFIG_DIR: dir,
      TODO_TOKEN_STORE: 'file',
      TODO_ISSUER: 'ftp://idp.example',
    }).run('logout', '--issuer', 'http://10.0.0.5:8080/realms/todo-app');
    expect(flagWins.code).toBe(2);
    expect(flagWins.err).toMatch(/^todo logout: --issuer must be https: /);
  });

  it('takes every spelling of a loopback address as this machine, and no name a resolver may send elsewhere', async () => {
    const todo = terminal({ TODO_CONFIG_DIR: dir, TODO_TOKEN_STORE: 'file' });
    for (const local of [
      'http://LOCALHOST:1',
      'http://127.1:1', // 127.0.0.1, as WHATWG URL writes it
      'http://2130706433:1',
      'http://0x7f.0.0.1:1',
      'http://127.255.255.254:1', // anywhere in 127.0.0.0/8 (RFC 1122 §3.2.1.3)
      'http://[0:0:0:0:0:0:0:1]:1',
      'http://[::ffff:127.0.0.1]:1', // IPv4-mapped (RFC 4291 §2.5.5.2)
      'http://[::ffff:7f00:1]:1',
      'http://[::ffff:7fff:fffe]:1',
      'https://sso.localhost', // https goes anywhere
    ]) {
      const result = await todo.run('logout', '--api', local, '--issuer', local);
      expect({ local, ...result }).toMatchObject({ local, code: 0, out: 'Not signed in.' });
    }
    // Reserved for loopback (RFC 6761 §6.3), but this system's resolver may ask DNS for them.
    for (const name of [
      'http://app.localhost:8000',
      'http://localhost.:8000',
      'http://App.Localhost.:8000',
    ]) {
      const result = await todo.run('whoami', '--api', name);
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      expect(result.err).toBe(
        `todo whoami: --api must be https, or http to localhost, 127.0.0.1 or [::1]: tokens are sent to it, and this system may ask DNS for a name under .localhost (RFC 6761 §6.3 reserves it, not every resolver keeps it on this machine); got "${name}"`,
      );
      const issuer = await todo.run('whoami', '--issuer', name);
      expect(issuer.code).toBe(2);
      expect(issuer.err).toMatch(/^todo whoami: --issuer must be https, or http to localhost/);
    }
    for (const remote of [
      'http://localhost.example.com:1',
      'http://127.0.0.1.nip.io:1',
      'http://[::ffff:10.0.0.1]:1',
      'http://[::ffff:8000:1]:1', // 128.0.0.1
      'http://[::127.0.0.1]:1', // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1): not loopback
      'http://0.0.0.0:1',
      'http://[::]:1',
      'http://128.0.0.1:1',
    ]) {
      const result = await todo.run('whoami', '--api', remote);
      expect({ remote, code: result.code }).toEqual({ remote, code: 2 });
      expect(result.err).toMatch(/^todo whoami: --api must be https: tokens are sent to it/);
    }
  });

  it('names the issuer signed in to when the one asked for differs by a trailing slash', async () => {
    const config = join(dir, 'slash');
    await mkdir(config, { mode: 0o700 });
    const issuer = 'https://sso.example/realms/todo-app';
    writeSession(config, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'kept',
      expiresAt: Date.now() + 600_000,
    });
    const todo = terminal({ TODO_CONFIG_DIR: config, TODO_TOKEN_STORE: 'file' });
    expect(await todo.run('whoami', '--issuer', `${issuer}/`)).toMatchObject({
      code: 1,
      out: '',
      err: `todo whoami: Not signed in to ${issuer}/, but to ${issuer}: issuers are compared exactly; use --issuer ${issuer}`,
    });
    expect(await todo.run('token', '--issuer', 'https://sso.example/realms/other')).toMatchObject({
      code: 1,
      err: 'todo token: Not signed in to https://sso.example/realms/other; run todo login',
    });
  });

  it('names the last login when --issuer or TODO_ISSUER names a provider without a session', async () => {
    const config = join(dir, 'last-login');
    await mkdir(config, { mode: 0o700 });
    const issuer = 'https://sso.example/realms/todo-app';
    writeSession(config, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'kept',
      expiresAt: Date.now() + 600_000,
    });
    await writeFile(
      join(config, 'config.json'),
      JSON.stringify({ issuer, apiUrl: 'https://todo.example', clientId: 'todo-cli' }),
      { mode: 0o600 },
    );
    const typo = 'https://sso.example/realms/todo-ap';
    const todo = terminal({ TODO_CONFIG_DIR: config, TODO_TOKEN_STORE: 'file' });
    expect(await todo.run('token', '--issuer', typo)).toMatchObject({
      code: 1,
      out: '',
      err: `todo token: Not signed in to ${typo} (set by --issuer), but to ${issuer}, where the last todo login was: check --issuer, or run todo login to sign in to ${typo}`,
    });
    const fromEnv = terminal({
      TODO_CONFIG_DIR: config,
      TODO_TOKEN_STORE: 'file',
      TODO_ISSUER: typo,
    });
    expect(await fromEnv.run('token')).toMatchObject({
      code: 1,
      err: `todo token: Not signed in to ${typo} (set by TODO_ISSUER), but to ${issuer}, where the last todo login was: check TODO_ISSUER, or run todo login to sign in to ${typo}`,
    });
  });
});
