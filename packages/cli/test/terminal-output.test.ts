import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Libsql from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTodo, writeSession } from './support/run.js';
import { devRealm, passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * Text the person running `todo` did not write — todo titles and list names stored before the
 * API refused control characters, claims from the identity provider, problem details from an
 * API, error descriptions and metadata from a provider — never reaches the terminal with control
 * characters (ESC and the C1 CSI start escape sequences that rewrite the screen, hide a link or
 * retitle the window; CR overwrites a line) or bidirectional overrides and isolates (which make a
 * terminal that implements bidi, such as VTE or Konsole, show the rest of the line reordered).
 * The real dev IdP and API over HTTP, the rows written to its SQLite file as an older API stored
 * them; and a hostile API and provider as real HTTP servers.
 */
const HOSTILE = 'Evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\r\u202eTXT.EXE\u2066';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point.
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let stack: Stack;
let hostile: Server;
let hostileUrl: string;
let dir: string;

function env(extra: Record<string, string> = {}) {
  return {
    TODO_CONFIG_DIR: dir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
    ...extra,
  };
}

function run(args: string[], extra: Record<string, string> = {}) {
  return runTodo(env(extra), args);
}

function expectSafe(result: { out: string; err: string }) {
  for (const line of `${result.out}\n${result.err}`.split('\n'))
    expect(UNSAFE.test(line), JSON.stringify(line)).toBe(false);
}

beforeAll(async () => {
  const realm = await devRealm();
  const alice = realm.users?.find((u) => u.username === 'alice');
  if (alice) alice.attributes = { department: [HOSTILE] };
  stack = await startStack({ realm });
  dir = await mkdtemp(join(tmpdir(), 'todo-terminal-'));
  const tokens = await passwordGrant(stack.issuer);
  const session = {
    issuer: stack.issuer,
    clientId: 'todo-cli',
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + 3_600_000,
  };
  writeSession(dir, session);
  hostile = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (path.endsWith('/.well-known/openid-configuration')) {
      res.end(JSON.stringify({ issuer: `https://idp.example/${HOSTILE}`, token_endpoint: 'x' }));
      return;
    }
    res.statusCode = 400;
    res.setHeader('content-type', 'application/problem+json');
    res.end(
      JSON.stringify({
        title: 'Bad',
        status: 400,
        detail: `Refused\n${HOSTILE}`,
        code: `bad${HOSTILE}`,
        errors: [{ field: 'body.title', message: HOSTILE }],
      }),
    );
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hostile?.closeAllConnections();
  await new Promise((resolve) => hostile?.close(resolve));
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('what reaches the terminal', () => {
  it('todo ls, lists, done and add show stored titles and names without control or bidi characters', async () => {
    const added = await run(['add', 'plain']);
    expect(added.code, added.err).toBe(0);
    const list = await run(['lists', 'create', 'plain list']);
    expect(list.code, list.err).toBe(0);
    const db = new Libsql(join(stack.dataDir, 'api', 'todo.db'));
    try {
      db.prepare('UPDATE todos SET title = ?').run(HOSTILE);
      db.prepare("UPDATE lists SET name = ? WHERE name = 'plain list'").run(HOSTILE);
    } finally {
      db.close();
    }
    const ls = await run(['ls']);
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toContain('Evil');
    expectSafe(ls);
    const lists = await run(['lists']);
    expect(lists.code, lists.err).toBe(0);
    expect(lists.out).toContain('Evil');
    expectSafe(lists);
    const id = /^([0-9a-f]{8})/m.exec(ls.out.split('\n')[1] ?? '')?.[1] as string;
    const done = await run(['done', id]);
    expect(done.code, done.err).toBe(0);
    expect(done.out).toMatch(/^Done: /);
    expectSafe(done);
  });

  it('todo ls --json keeps the text, with C1 and bidi characters as JSON escapes', async () => {
    const ls = await run(['ls', '--json']);
    expect(ls.code, ls.err).toBe(0);
    expectSafe(ls);
    const todos = JSON.parse(ls.out) as { title: string }[];
    expect(todos.map((t) => t.title)).toContain(HOSTILE);
  });

  it('todo whoami shows the provider’s claims without control or bidi characters', async () => {
    const me = await run(['whoami']);
    expect(me.code, me.err).toBe(0);
    expect(me.out).toMatch(/^department +Evil/m);
    expectSafe(me);
  });

  it('an API’s problem detail and field errors are shown on one line each, without them', async () => {
    const result = await run(['add', 'x'], { TODO_API_URL: hostileUrl });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^todo add: Refused Evil/);
    expect(result.err).toMatch(/^ {2}body\.title: Evil/m);
    expect(result.err.split('\n')).toHaveLength(2);
    expectSafe(result);
  });

  it('todo ls cuts a long title between characters, never inside an emoji', async () => {
    // The table cell keeps 59 UTF-16 units and "…": an emoji's two halves at units 59 and 60.
    const title = `${'a'.repeat(58)}\u{1F600}\u{1F600} tail`;
    const added = await run(['add', title]);
    expect(added.code, added.err).toBe(0);
    const ls = await run(['ls']);
    expect(ls.code, ls.err).toBe(0);
    const line = ls.out.split('\n').find((l) => l.includes('a'.repeat(58)));
    expect(line).toBeDefined();
    // A lone surrogate has no UTF-8 form: the terminal would get U+FFFD in its place.
    expect(line).not.toMatch(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
    );
    expect(line).toContain(`${'a'.repeat(58)}…`);
  });

  it('a provider’s discovery document naming another issuer is quoted without them', async () => {
    const result = await run(['login'], { TODO_ISSUER: hostileUrl });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^todo login: The provider calls itself https:\/\/idp\.example\//);
    expectSafe(result);
  });
});
