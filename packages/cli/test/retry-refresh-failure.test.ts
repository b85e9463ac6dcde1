import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { type Relay, startRelay } from './support/relay.js';
import { writeSession } from './support/run.js';
import { CLOSED_PORT, passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * `todo add` and `todo lists create` whose first create reaches the real API, which stores it,
 * and whose answer is lost (a relay closes the connection once the API has answered); the
 * access token then falls due (the CLI's clock moves an hour on), so the retry must refresh it
 * first, and that refresh fails: the provider down, answering 503, refusing the refresh token, or
 * silent past the create's deadline. The message must not say that nothing was sent: it says
 * what failed and that the todo (the list) may have been made, and how to look; exit 1, no
 * second create sent, one stored.
 */
describe('a create whose answer was lost and whose refresh before the retry fails', () => {
  let stack: Stack;
  let relay: Relay;
  let dir: string;
  let provider: Server;
  let providerUrl: string;
  let tokens: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    stack = await startStack();
    relay = await startRelay(stack.apiUrl);
    dir = await mkdtemp(join(tmpdir(), 'todo-retry-refresh-'));
    // Providers at `<url>/503` and `<url>/silent`: discovery answers; the token endpoint answers
    // 503, or never.
    provider = createServer((req, res) => {
      const issuer = `${providerUrl}/${(req.url ?? '').split('/')[1]}`;
      if (req.url?.endsWith('/.well-known/openid-configuration')) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token` }));
      } else if (req.url?.startsWith('/503/'))
        res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>Service Unavailable</h1>');
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    tokens = await passwordGrant(stack.issuer);
    // The API loads the provider's keys at its first token: done here, so that no first create
    // outlives its deadline on a busy machine.
    await read<unknown>('/lists/');
  });
  afterAll(async () => {
    provider?.closeAllConnections();
    provider?.close();
    await relay?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    relay.creates.length = 0;
  });

  async function read<T>(path: string): Promise<T> {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    return (await res.json()) as T;
  }

  /** What the API holds named `name`: todos and lists. */
  async function stored(name: string): Promise<unknown[]> {
    const todos = await read<{ items: { title: string }[] }>('/todos/?limit=100');
    const lists = await read<{ name: string }[]>('/lists/');
    return [
      ...todos.items.filter((t) => t.title === name),
      ...lists.filter((l) => l.name === name),
    ];
  }

  /**
   * `todo <args>` signed in at `issuer` with a valid access token of the real provider (the API
   * takes it whichever issuer the CLI is told) that falls due once the relay has seen a create.
   */
  async function run(issuer: string, refreshToken: string, args: string[]) {
    writeSession(dir, {
      issuer,
      clientId: 'todo-cli',
      accessToken: tokens.access_token,
      refreshToken,
      expiresAt: Date.now() + 600_000,
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, {
      env: {
        TODO_CONFIG_DIR: dir,
        TODO_ISSUER: issuer,
        TODO_API_URL: relay.url,
        TODO_TOKEN_STORE: 'file',
      },
      fetch: (...a) => globalThis.fetch(...a),
      now: () => Date.now() + (relay.creates.length > 0 ? 3_600_000 : 0),
      sleep: async () => {},
      createTimeoutMs: 3_000,
      openBrowser: async () => false,
      out: (text) => out.push(text),
      err: (text) => err.push(text),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const cases = [
    {
      failure: 'the provider is down',
      issuer: () => `http://127.0.0.1:${CLOSED_PORT}/realms/todo-app`,
      refreshToken: () => 'never-sent',
      said: (issuer: string) =>
        `The identity provider at ${issuer} cannot be reached (connection refused: nothing listens there); is it running, and is --issuer (TODO_ISSUER) right?`,
    },
    {
      failure: 'the provider answers 503',
      issuer: () => `${providerUrl}/503`,
      refreshToken: () => 'not-refreshed',
      said: (issuer: string) =>
        `The identity provider at ${issuer} could not refresh the access token (HTTP 503): it is failing or overloaded; try again shortly`,
    },
    {
      failure: 'the provider refuses the refresh token',
      issuer: () => stack.issuer,
      refreshToken: () => 'not-a-refresh-token-of-this-provider',
      said: () => 'Your session has ended; run todo login',
    },
    {
      failure: 'the provider does not answer in time',
      issuer: () => `${providerUrl}/silent`,
      refreshToken: () => 'not-answered',
      said: (issuer: string) =>
        `The identity provider at ${issuer} did not answer in time (refreshing the access token)`,
    },
  ];
  const commands = [
    {
      name: 'add',
      args: (title: string) => ['add', title],
      lost: 'The todo may have been added before its answer was lost: check with todo ls before adding it again',
    },
    {
      name: 'lists',
      args: (title: string) => ['lists', 'create', title],
      lost: 'The list may have been created before its answer was lost: check with todo lists before creating it again',
    },
  ];

  for (const c of cases)
    for (const command of commands)
      it(`todo ${command.args('…').join(' ')} when ${c.failure}: may have been made, exit 1`, async () => {
        const issuer = c.issuer();
        const title = `${command.name} lost, then ${c.failure}`;
        relay.mode = { kind: 'drop' };
        const result = await run(issuer, c.refreshToken(), command.args(title));
        expect(result.err).toBe(`todo ${command.name}: ${c.said(issuer)}\n${command.lost}`);
        expect(result.code).toBe(1);
        expect(result.out).toBe('');
        // The API answered the first create (so it stored it); no retry was sent.
        expect(relay.creates).toHaveLength(1);
        expect(relay.creates[0]?.answer).toMatch(/^HTTP\/1\.1 201 /);
        expect(await stored(title)).toHaveLength(1);
      });
});
