import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTodo, writeSession } from './support/run.js';
import { CLOSED_PORT, passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * `todo add` and `todo lists create` with an access token that has expired, so that each
 * refreshes it before it sends anything, and a refresh that fails at once: the identity provider
 * down, answering 503, or refusing the refresh token (`invalid_grant`). The message says that
 * nothing was sent to the API and that running the command again is safe (after signing in
 * again when the session ended), the exit code is 1 (the provider said no, or did not answer),
 * and the real API holds nothing of it. `todo done`, `todo rm` and `todo share` say that nothing
 * was changed, and the todo and the list's members are as they were.
 */
describe('a write command whose token refresh fails', () => {
  let stack: Stack;
  let dir: string;
  let unavailable: Server;
  let unavailableIssuer: string;
  let reader: string;
  /** A todo and a list of the reader's, shared with bob as viewer, which nothing may change. */
  let todoId: string;
  let listId: string;

  beforeAll(async () => {
    stack = await startStack();
    dir = await mkdtemp(join(tmpdir(), 'todo-refresh-failure-'));
    // A provider whose discovery answers and whose token endpoint answers 503.
    unavailable = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            issuer: unavailableIssuer,
            token_endpoint: `${unavailableIssuer}/token`,
          }),
        );
        return;
      }
      res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
    });
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    unavailableIssuer = `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`;
    reader = (await passwordGrant(stack.issuer)).access_token;
    // bob is known to the API once he has read his lists.
    await call(
      'GET',
      '/lists/',
      undefined,
      (await passwordGrant(stack.issuer, 'bob')).access_token,
    );
    todoId = ((await call('POST', '/todos/', { title: 'Left as it is' })) as { id: string }).id;
    listId = ((await call('POST', '/lists/', { name: 'Shared as it is' })) as { id: string }).id;
    await call('PUT', `/lists/${listId}/members/bob`, { relation: 'viewer' });
  });

  /** `method path` of the API with `token` (the reader's by default), its JSON answer. */
  async function call(method: string, path: string, body?: unknown, token = reader) {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return (await res.json()) as unknown;
  }
  afterAll(async () => {
    unavailable?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A session at `issuer` whose access token expired a minute ago. */
  function expiredSession(issuer: string, refreshToken: string): Record<string, string> {
    writeSession(dir, {
      issuer,
      clientId: 'todo-cli',
      accessToken: 'expired',
      refreshToken,
      expiresAt: Date.now() - 60_000,
    });
    return {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: issuer,
      TODO_API_URL: stack.apiUrl,
      TODO_TOKEN_STORE: 'file',
    };
  }

  /** What the API holds named `name`: todos and lists, read with a valid token of the same person. */
  async function stored(name: string): Promise<unknown[]> {
    const read = async (path: string) =>
      (await fetch(`${stack.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${reader}` },
      }).then((r) => r.json())) as unknown;
    const todos = (await read('/todos/?limit=100')) as { items: { title: string }[] };
    const lists = (await read('/lists/')) as { name: string }[];
    return [
      ...todos.items.filter((t) => t.title === name),
      ...lists.filter((l) => l.name === name),
    ];
  }

  const again = 'running the command again is safe';
  const safe = `Nothing was sent to the API: ${again}`;
  /** A token endpoint answering 503: the provider's trouble, which may pass. */
  const failing = (issuer: string) =>
    `The identity provider at ${issuer} could not refresh the access token (HTTP 503): it is failing or overloaded; try again shortly`;
  /** Each failure: what is said of it (`failed`), and when running the command again is safe. */
  const cases = [
    {
      failure: 'the provider is down',
      issuer: () => `http://127.0.0.1:${CLOSED_PORT}/realms/todo-app`,
      refreshToken: 'never-sent',
      failed: (issuer: string) =>
        `The identity provider at ${issuer} cannot be reached (connection refused: nothing listens there); is it running, and is --issuer (TODO_ISSUER) right?`,
      again,
    },
    {
      failure: 'the provider answers 503',
      issuer: () => unavailableIssuer,
      refreshToken: 'not-refreshed',
      failed: failing,
      again,
    },
    {
      failure: 'the provider refuses the refresh token',
      issuer: () => stack.issuer,
      refreshToken: 'not-a-refresh-token-of-this-provider',
      failed: () => 'Your session has ended; run todo login',
      again: `after todo login, ${again}`,
    },
  ];
  const commands = [
    { name: 'add', args: (title: string) => ['add', title] },
    { name: 'lists', args: (title: string) => ['lists', 'create', title] },
  ];

  for (const c of cases)
    for (const command of commands)
      it(`todo ${command.args('…').join(' ')} when ${c.failure}: nothing was sent, exit 1`, async () => {
        const issuer = c.issuer();
        const title = `${command.name}: ${c.failure}`;
        const result = await runTodo(
          expiredSession(issuer, c.refreshToken),
          command.args(title),
          'skip',
        );
        expect(result.err).toBe(
          `todo ${command.name}: ${c.failed(issuer)}\nNothing was sent to the API: ${c.again}`,
        );
        expect(result.code).toBe(1);
        expect(result.out).toBe('');
        expect(await stored(title)).toEqual([]);
      });

  it('todo add --list says the same when the refresh fails while the list is looked up', async () => {
    const issuer = unavailableIssuer;
    const result = await runTodo(
      expiredSession(issuer, 'not-refreshed'),
      ['add', 'Into a list', '--list', 'Groceries'],
      'skip',
    );
    expect(result.err).toBe(`todo add: ${failing(issuer)}\n${safe}`);
    expect(result.code).toBe(1);
    expect(await stored('Into a list')).toEqual([]);
  });

  /** The todo and the list's members as the API holds them. */
  const unchanged = async () => ({
    todo: await call('GET', `/todos/${todoId}`),
    members: await call('GET', `/lists/${listId}/members`),
  });
  /** Each change command, given the todo's and the list's ids, as a test names it (`shown`). */
  const changes = [
    { name: 'done', shown: 'done <id>', args: (todo: string) => ['done', todo] },
    {
      name: 'done',
      shown: 'done <id prefix> --undo',
      args: (todo: string) => ['done', todo.slice(0, 8), '--undo'],
    },
    { name: 'rm', shown: 'rm <id prefix>', args: (todo: string) => ['rm', todo.slice(0, 8)] },
    {
      name: 'share',
      shown: 'share <list name> bob --role editor',
      args: () => ['share', 'Shared as it is', 'bob', '--role', 'editor'],
    },
    {
      name: 'share',
      shown: 'share <list id> bob --remove',
      args: (_: string, list: string) => ['share', list, 'bob', '--remove'],
    },
  ];

  for (const c of cases)
    for (const command of changes)
      it(`todo ${command.shown} when ${c.failure}: nothing was changed, exit 1`, async () => {
        const issuer = c.issuer();
        const before = await unchanged();
        const result = await runTodo(
          expiredSession(issuer, c.refreshToken),
          command.args(todoId, listId),
          'skip',
        );
        expect(result.err).toBe(
          `todo ${command.name}: ${c.failed(issuer)}\nNothing was changed: ${c.again}`,
        );
        expect(result.code).toBe(1);
        expect(result.out).toBe('');
        expect(await unchanged()).toEqual(before);
      });

  it('todo share <list>, which changes nothing, says only that the refresh failed', async () => {
    const issuer = unavailableIssuer;
    const result = await runTodo(
      expiredSession(issuer, 'not-refreshed'),
      ['share', 'Shared as it is'],
      'skip',
    );
    expect(result).toMatchObject({ code: 1, out: '', err: `todo share: ${failing(issuer)}` });
  });

  it('todo ls says that the provider is failing and to try again shortly', async () => {
    const issuer = unavailableIssuer;
    const result = await runTodo(expiredSession(issuer, 'not-refreshed'), ['ls'], 'skip');
    expect(result).toMatchObject({ code: 1, out: '', err: `todo ls: ${failing(issuer)}` });
  });
});
