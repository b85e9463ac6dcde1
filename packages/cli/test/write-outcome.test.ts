import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import type { Relay } from './support/relay.js';
import { type RelayedSession, startRelayedSession } from './support/relayed-session.js';

/**
 * What `todo done`, `todo rm` and `todo add` say when a change's answer never came, against the
 * real API through a TCP relay that closes the connection once the API has answered (so the
 * change is made), or answers 503 in the API's place (so nothing reaches the API): a lost answer
 * says the change may or may not have been made and how to look; a 503 says nothing was changed
 * and when to try again (its Retry-After).
 */

let session: RelayedSession;
let relay: Relay;
const noWait = async () => {};

type Todo = { id: string; title: string; completed: boolean };

/** A todo of the session's, added through the relay while it passes everything on. */
async function added(title: string): Promise<Todo> {
  const result = await session.run(['add', title, '--json']);
  expect(result.code, result.err).toBe(0);
  return JSON.parse(result.out) as Todo;
}

/** The session's todo `id` as the API itself has it now, if it still has it. */
async function stored(id: string): Promise<Todo | undefined> {
  const page = await session.read<{ items: Todo[] }>('/todos/?limit=100');
  return page.items.find((t) => t.id === id);
}

beforeAll(async () => {
  session = await startRelayedSession('todo-write-outcome-');
  relay = session.relay;
});

afterAll(async () => {
  await session?.close();
});

beforeEach(() => {
  relay.mode = { kind: 'pass' };
  relay.creates.length = 0;
});

describe('a change whose answer was lost', () => {
  it('todo done: made at the API, and the message says it may or may not have been', async () => {
    const todo = await added('Lost done');
    relay.mode = { kind: 'drop' };
    const result = await session.run(['done', todo.id], noWait);
    expect(result.code).toBe(1);
    // The API answered (the change is made); the CLI never saw the answer.
    expect(relay.creates.at(-1)?.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect((await stored(todo.id))?.completed).toBe(true);
    expect(result.err).toMatch(
      /^todo done: The API at http:\/\/127\.0\.0\.1:\d+ did not answer( \([^)]*\))? after the request was sent\nThe change may or may not have been made: todo ls shows whether it was; running the command again is safe \(it sets the same state\)\.$/,
    );
    expect(result.err).not.toContain('cannot be reached');
    expect(result.err).not.toContain('Nothing was');
  });

  it('todo add: a retry refused with 503 after a lost first answer says the todo may have been added', async () => {
    relay.mode = { kind: 'drop', after: { kind: 'unavailable', retryAfter: '1' } };
    const result = await session.run(['add', 'Lost then refused'], noWait);
    expect(result.code).toBe(1);
    expect(relay.creates).toHaveLength(2);
    expect(relay.creates[0]?.answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(result.err).toContain('(HTTP 503, unavailable)');
    expect(result.err).toMatch(
      /\nThe todo may have been added before its answer was lost: check with todo ls before adding it again$/,
    );
    expect(result.err).not.toContain('Nothing was changed');
  });
});

describe('a change the API answered 503', () => {
  it('todo rm: nothing was changed, and it says when to try again', async () => {
    const todo = await added('Still here');
    relay.mode = { kind: 'unavailable', retryAfter: '5' };
    const result = await session.run(['rm', todo.id], noWait);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'todo rm: The database is unavailable (HTTP 503, unavailable)\nThe service is unavailable for now: try again in 5 s (Retry-After).\nNothing was changed: the API answered that it is unavailable.',
    );
    expect(await stored(todo.id)).toBeDefined();
  });

  it('todo add: a 503 whose Retry-After is past the wait says nothing was added, and when to try again', async () => {
    relay.mode = { kind: 'unavailable', retryAfter: '120' };
    const result = await session.run(['add', 'Not now'], noWait);
    expect(result.code).toBe(1);
    expect(relay.creates).toHaveLength(1);
    expect(result.err).toContain('try again in 120 s (Retry-After).');
    expect(result.err).toMatch(/\nNothing was changed: the API answered that it is unavailable\.$/);
  });
});

describe('a change the API answered 503 write_outcome_unknown (made at the API)', () => {
  it('todo done: it may or may not have been made, running it again is safe; not "Nothing was changed"', async () => {
    const todo = await added('Unknown done');
    relay.mode = { kind: 'unknown', retryAfter: '5' };
    const result = await session.run(['done', todo.id], noWait);
    expect(result.code).toBe(1);
    expect(relay.creates.at(-1)?.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect((await stored(todo.id))?.completed).toBe(true);
    expect(result.err).toContain('(HTTP 503, write_outcome_unknown)');
    expect(result.err).toMatch(
      /\nThe change may or may not have been made \(the API lost its connection to its database while saving it\): todo ls shows whether it was; running the command again is safe \(it sets the same state\)\.$/,
    );
    expect(result.err).not.toContain('Nothing was changed');
  });

  it('todo add: sent once more with the same key, answered with the stored todo: one todo', async () => {
    relay.mode = { kind: 'unknown', retryAfter: '1' };
    const result = await session.run(['add', 'Unknown then replayed', '--json'], noWait);
    expect(result.code, result.err).toBe(0);
    expect(relay.creates).toHaveLength(2);
    expect(relay.creates[0]?.answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(relay.creates[1]?.answer).toMatch(/^HTTP\/1\.1 201 [\s\S]*idempotent-replayed: true/i);
    const key = (head: string | undefined) => /idempotency-key: (.*)\r\n/i.exec(head ?? '')?.[1];
    expect(key(relay.creates[1]?.request)).toBe(key(relay.creates[0]?.request));
    const page = await session.read<{ items: Todo[] }>('/todos/?limit=100');
    const titled = page.items.filter((t) => t.title === 'Unknown then replayed');
    expect(titled.map((t) => t.id)).toEqual([(JSON.parse(result.out) as Todo).id]);
  });

  it('todo add: a Retry-After past the wait says the todo may have been added, not that nothing was', async () => {
    relay.mode = { kind: 'unknown', retryAfter: '120' };
    const result = await session.run(['add', 'Unknown, not retried'], noWait);
    expect(result.code).toBe(1);
    expect(relay.creates).toHaveLength(1);
    expect(result.err).toMatch(
      /\nThe todo may have been added before its answer was lost: check with todo ls before adding it again$/,
    );
    expect(result.err).not.toContain('Nothing was changed');
  });
});

describe('a change that never left this machine', () => {
  it('todo done against a port where nothing listens: nothing was changed', async () => {
    const todo = await added('Never sent');
    // A port that was free a moment ago, so nothing listens there.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const { port } = free.address() as AddressInfo;
    await new Promise((resolve) => free.close(resolve));
    const err: string[] = [];
    const code = await main(['done', todo.id], {
      env: { ...session.env, TODO_API_URL: `http://127.0.0.1:${port}` },
      fetch: (...a) => globalThis.fetch(...a),
      now: Date.now,
      sleep: noWait,
      openBrowser: async () => false,
      out: () => {},
      err: (text) => err.push(text),
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      /cannot be reached \(connection refused: nothing listens there\); is it running, and is --api \(TODO_API_URL\) right\?\nNothing was sent to the API, so nothing was changed: running the command again is safe\.$/,
    );
    expect((await stored(todo.id))?.completed).toBe(false);
  });

  it('todo done against a port fetch refuses (10080, a "bad port"): nothing was sent, and why', async () => {
    const todo = await added('Blocked port');
    const err: string[] = [];
    // The Fetch Standard's port blocking (§2.9): Node's fetch never connects to 10080 (Amanda).
    const code = await main(['done', todo.id], {
      env: { ...session.env, TODO_API_URL: 'http://127.0.0.1:10080' },
      fetch: (...a) => globalThis.fetch(...a),
      now: Date.now,
      sleep: noWait,
      openBrowser: async () => false,
      out: () => {},
      err: (text) => err.push(text),
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toBe(
      "todo done: The API at http://127.0.0.1:10080 cannot be reached (its port is one that browsers and Node's fetch refuse to connect to, so nothing was sent); serve the API on another port and set --api (TODO_API_URL) to it\nNothing was sent to the API, so nothing was changed: running the command again is safe.",
    );
    expect((await stored(todo.id))?.completed).toBe(false);
  });
});
