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
 * and the real API holds nothing of it.
 */
describe('a write command whose token refresh fails', () => {
  let stack: Stack;
  let dir: string;
  let unavailable: Server;
  let unavailableIssuer: string;
  let reader: string;

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
  });
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

  const safe = 'Nothing was sent to the API: running the command again is safe';
  /** A token endpoint answering 503: the provider's trouble, which may pass. */
  const failing = (issuer: string) =>
    `The identity provider at ${issuer} could not refresh the access token (HTTP 503): it is failing or overloaded; try again shortly`;
  const cases = [
    {
      failure: 'the provider is down',
      issuer: () => `http://127.0.0.1:${CLOSED_PORT}/realms/todo-app`,
      refreshToken: 'never-sent',
      said: (issuer: string) =>
        `The identity provider at ${issuer} cannot be reached (connection refused: nothing listens there); is it running, and is --issuer (TODO_ISSUER) right?\n${safe}`,
    },
    {
      failure: 'the provider answers 503',
      issuer: () => unavailableIssuer,
      refreshToken: 'not-refreshed',
      said: (issuer: string) => `${failing(issuer)}\n${safe}`,
    },
    {
      failure: 'the provider refuses the refresh token',
      issuer: () => stack.issuer,
      refreshToken: 'not-a-refresh-token-of-this-provider',
      said: () =>
        'Your session has ended; run todo login\nNothing was sent to the API: after todo login, running the command again is safe',
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
        expect(result.err).toBe(`todo ${command.name}: ${c.said(issuer)}`);
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

  it('todo ls says that the provider is failing and to try again shortly', async () => {
    const issuer = unavailableIssuer;
    const result = await runTodo(expiredSession(issuer, 'not-refreshed'), ['ls'], 'skip');
    expect(result).toMatchObject({ code: 1, out: '', err: `todo ls: ${failing(issuer)}` });
  });
});
