import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringStore } from '../src/store/keyring-store.js';
import type { StoredSession } from '../src/store/types.js';
import { type Terminal, terminal } from './support/run.js';
import { CLOSED_PORT, type Stack, startStack } from './support/stack.js';

/**
 * `todo` end to end, in-process: the device grant against the real dev IdP (approved over HTTP
 * as a browser would), todos through the real API, silent refresh, and sign-out that the API
 * learns about through back-channel logout. The token store is whatever this machine offers
 * (`auto`): the OS keyring when one answers, else the 0600 file — see keyring.test.ts for the
 * keyring run.
 */
let stack: Stack;
let configDir: string;
let todo: Terminal;
const printed: string[] = [];

async function run(...args: string[]) {
  const result = await todo.run(...args);
  printed.push(result.out, result.err);
  return result;
}

async function stored(): Promise<StoredSession> {
  const sessions = JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8')) as Record<
    string,
    StoredSession
  >;
  return Object.values(sessions)[0] as StoredSession;
}

beforeAll(async () => {
  stack = await startStack();
  configDir = await mkdtemp(join(tmpdir(), 'todo-cli-config-'));
  todo = terminal({
    TODO_CONFIG_DIR: configDir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    // This suite reads the file store; the last test and keyring.test.ts cover the keyring.
    TODO_TOKEN_STORE: 'file',
  });
});

afterAll(async () => {
  await stack?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('todo against the dev IdP and the API', () => {
  it('signs in with the device grant: shows the URL and code, polls, keeps tokens in a 0600 file (TODO_TOKEN_STORE=file)', async () => {
    const result = await run('login');
    expect(result.code).toBe(0);
    expect(result.err).toMatch(
      /To sign in, open http:\/\/127\.0\.0\.1:\d+\/realms\/todo-app\/.*device/,
    );
    const code = /enter the code (\S+)/.exec(result.err)?.[1];
    expect(code).toBeTruthy();
    expect(todo.opened).toHaveLength(1);
    expect(decodeURIComponent(todo.opened[0] as string)).toContain(code as string);
    expect(result.out).toBe(
      `Signed in as alice at ${stack.issuer}; tokens are in file ${join(configDir, 'sessions.json')} (mode 0600).`,
    );
    expect(result.err).not.toContain('No usable keyring');
    expect((await stat(join(configDir, 'sessions.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    const session = await stored();
    expect(session).toMatchObject({ issuer: stack.issuer, clientId: 'todo-cli' });
    expect(session.refreshToken).toBeTruthy();
  });

  it('adds, lists, completes and deletes todos through the API', async () => {
    const added = await run('add', 'Buy', 'oat', 'milk', '--description', 'two litres');
    expect(added.code).toBe(0);
    const id = /^Added ([0-9a-f]{8}) {2}Buy oat milk$/.exec(added.out)?.[1] as string;
    expect(id).toBeTruthy();

    const table = await run('ls');
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+DONE\s+CREATED\s+TITLE$/);
    expect(table.out).toMatch(new RegExp(`^${id}\\s+\\d{4}-\\d{2}-\\d{2}\\s+Buy oat milk$`, 'm'));

    const listed = JSON.parse((await run('ls', '--json')).out) as {
      id: string;
      description: string;
    }[];
    const todoItem = listed.find((t) => t.id.startsWith(id));
    expect(todoItem?.description).toBe('two litres');

    const done = await run('done', id);
    expect(done).toMatchObject({ code: 0, out: `Done: ${id}  Buy oat milk` });
    const completed = JSON.parse((await run('ls', '--done', '--json')).out) as { id: string }[];
    expect(completed.map((t) => t.id)).toContain(todoItem?.id);
    expect(JSON.parse((await run('ls', '--open', '--json')).out)).toEqual([]);

    expect(await run('rm', todoItem?.id as string)).toMatchObject({
      code: 0,
      out: `Deleted ${id}`,
    });
    expect(JSON.parse((await run('ls', '--json')).out)).toEqual([]);
    // An id that names no todo (any more) says where the ids are.
    expect(await run('rm', todoItem?.id as string)).toMatchObject({
      code: 1,
      err: 'todo rm: No such todo (HTTP 404, not_found); todo ls shows your todos and their ids',
    });
    expect(await run('done', id)).toMatchObject({
      code: 1,
      err: `todo done: No todo id starts with ${id}; todo ls shows your todos and their ids`,
    });
    expect(await run('done', 'x1')).toMatchObject({
      code: 2,
      err: 'todo done: "x1" is not a todo id (or a prefix of at least 4 characters); todo ls shows your todos and their ids',
    });
    expect(await run('ls', '--list', 'No such list')).toMatchObject({
      code: 1,
      err: 'todo ls: No list you can read is called or has the id "No such list"; todo lists shows the lists you can read',
    });
  });

  it('exits 1 with the problem detail when the API refuses, 2 on a usage error', async () => {
    const refused = await run('add', 'x'.repeat(201));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^todo add: .+\(HTTP 400, validation_failed\)\n {2}body\.title: /);
    const usage = await run('done');
    expect(usage).toMatchObject({ code: 2, err: 'todo done: usage: todo done <id> [--undo]' });
  });

  it('signs in while the API is down: says the new token could not be checked, and why, not that the API refused it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-cli-api-down-'));
    try {
      const api = `http://127.0.0.1:${CLOSED_PORT}`;
      const offline = terminal({
        TODO_CONFIG_DIR: dir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: api,
        TODO_TOKEN_STORE: 'file',
      });
      const result = await offline.run('login');
      expect(result.code).toBe(0);
      expect(result.out).toBe(
        `Signed in at ${stack.issuer}; tokens are in file ${join(dir, 'sessions.json')} (mode 0600).`,
      );
      expect(result.err.split('\n').at(-1)).toBe(
        `The new token could not be checked with the API: The API at ${api} cannot be reached (connection refused: nothing listens there); is it running, and is --api (TODO_API_URL) right?`,
      );
      expect(result.err).not.toContain('does not accept');
      expect(result.err).not.toContain('todo doctor');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says who the API thinks you are', async () => {
    const me = await run('whoami');
    expect(me.out).toMatch(/^username\s+alice$/m);
    expect(me.out).toMatch(/^permissions\s+todos:read, todos:write$/m);
    expect(JSON.parse((await run('whoami', '--json')).out)).toMatchObject({ username: 'alice' });
  });

  it('refreshes silently once the access token has expired', async () => {
    const before = await stored();
    todo.clockOffsetMs = before.expiresAt - Date.now() + 1000;
    try {
      const me = await run('whoami', '--json');
      expect(me.code).toBe(0);
    } finally {
      todo.clockOffsetMs = 0;
    }
    const after = await stored();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(before.expiresAt - 1000);
  });

  it('prints a token only when asked with todo token', async () => {
    const { accessToken } = await stored();
    for (const text of printed) expect(text).not.toContain(accessToken.slice(-40));
    const token = await run('token');
    expect(token.out).toBe(accessToken);
  });

  it('creates a list, shares it with bob as editor, shows its members, and stops sharing', async () => {
    const bobDir = await mkdtemp(join(tmpdir(), 'todo-cli-bob-'));
    const bob = terminal(
      {
        TODO_CONFIG_DIR: bobDir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: stack.apiUrl,
        TODO_TOKEN_STORE: 'file',
      },
      'bob',
    );
    try {
      const own = await run('lists');
      expect(own.out.split('\n')[0]).toMatch(/^ID\s+RELATION\s+TODOS\s+NAME$/);
      expect(own.out).toMatch(/\sowner\s+\d+\s+.+ \(default\)$/m);
      const created = await run('lists', 'create', 'Groceries');
      expect(created.out).toMatch(/^Created list [0-9a-f-]{36} {2}Groceries$/);
      expect(await run('add', 'Oat milk', '--list', 'Groceries')).toMatchObject({ code: 0 });
      const inList = JSON.parse((await run('ls', '--list', 'Groceries', '--json')).out) as {
        title: string;
      }[];
      expect(inList.map((t) => t.title)).toEqual(['Oat milk']);

      expect((await bob.run('login')).code).toBe(0);
      expect((await bob.run('lists')).code).toBe(0); // bob is known to the API from now on
      expect(await run('share', 'Groceries', 'bob', '--role', 'editor')).toMatchObject({
        code: 0,
        out: 'Shared Groceries with bob as editor',
      });
      expect((await run('share', 'Groceries')).out).toMatch(/^bob\s+editor$/m);
      const bobs = JSON.parse((await bob.run('lists', '--json')).out) as {
        name: string;
        relation: string;
        todoCount: number;
      }[];
      expect(bobs.find((l) => l.name === 'Groceries')).toMatchObject({
        relation: 'editor',
        todoCount: 1,
      });
      expect(await run('share', 'Groceries', 'bob', '--remove')).toMatchObject({
        code: 0,
        out: 'bob no longer shares Groceries',
      });
      const after = JSON.parse((await bob.run('lists', '--json')).out) as { name: string }[];
      expect(after.map((l) => l.name)).not.toContain('Groceries');
      const unknown = await run('share', 'Groceries', 'nobody-here');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(
        /^todo share: No person known as nobody-here: the API knows a person once they have used their todos or lists .*; signing in alone is not enough \(HTTP 404, not_found\)$/,
      );
      // A second list of the same name: the name no longer says which, the ids do.
      const second = await run('lists', 'create', 'Groceries');
      const ids = [created.out, second.out].map((out) => /[0-9a-f-]{36}/.exec(out)?.[0]);
      const ambiguous = await run('ls', '--list', 'Groceries');
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.err).toMatch(
        /^todo ls: 2 lists you can read are called "Groceries"; name one by its id: [0-9a-f-]{36}, [0-9a-f-]{36}$/,
      );
      for (const id of ids) expect(ambiguous.err).toContain(id);
      expect((await run('ls', '--list', ids[1] as string)).code).toBe(0);
      expect((await bob.run('logout')).code).toBe(0);
    } finally {
      await rm(bobDir, { recursive: true, force: true });
    }
  });

  it('by default uses the keyring when it answers, else the 0600 file, and says which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-cli-auto-'));
    try {
      const auto = terminal({
        TODO_CONFIG_DIR: dir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: stack.apiUrl,
      });
      const result = await auto.run('login');
      expect(result.code).toBe(0);
      if (result.out.endsWith('tokens are in the system keyring (service "todo-sso").')) {
        const keyring = KeyringStore.open().store;
        expect(keyring?.load(`todo-cli@${stack.issuer}`)?.issuer).toBe(stack.issuer);
        expect(existsSync(join(dir, 'sessions.json'))).toBe(false);
      } else {
        expect(result.err).toMatch(/No usable keyring \(.+\); tokens are kept in a file/);
        expect(result.out).toContain(
          `tokens are in file ${join(dir, 'sessions.json')} (mode 0600)`,
        );
        expect((await stat(join(dir, 'sessions.json'))).mode & 0o777).toBe(0o600);
      }
      expect((await auto.run('logout')).code).toBe(0);
      expect(KeyringStore.open().store?.load(`todo-cli@${stack.issuer}`)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logs out: the session ends at the IdP and the API refuses the old token', async () => {
    const old = (await run('token')).out;
    // TODO_DPOP=auto and an API that accepts bearer tokens: `todo token` is one scripts can send.
    expect((await stored()).dpopKey).toBeUndefined();
    const before = await fetch(`${stack.apiUrl}/me`, {
      headers: { authorization: `Bearer ${old}` },
    });
    expect(before.status).toBe(200);
    const result = await run('logout');
    expect(result).toMatchObject({
      code: 0,
      out: 'Signed out: the session at the identity provider has ended.',
    });
    // The IdP's back-channel logout token reaches the API, which revokes the session.
    let answer: { status: number; body: { code?: string } } = { status: 0, body: {} };
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${stack.apiUrl}/me`, {
        headers: { authorization: `Bearer ${old}` },
      });
      answer = { status: res.status, body: (await res.json()) as { code?: string } };
      if (answer.status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answer).toMatchObject({ status: 401, body: { code: 'token_revoked' } });
    const after = await run('ls');
    expect(after).toMatchObject({
      code: 1,
      err: `todo ls: Not signed in to ${stack.issuer}; run todo login`,
    });
    expect(await run('logout')).toMatchObject({ code: 0, out: 'Not signed in.' });
  });
});
