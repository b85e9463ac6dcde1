import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/main.js';
import type { Relay } from './support/relay.js';
import { keyOf, type RelayedSession, startRelayedSession } from './support/relayed-session.js';

/**
 * `todo lists create` against the real API through a relay that can lose the answer to the
 * first create: the CLI sends the request once more with the same `Idempotency-Key`, and
 * exactly one list exists.
 */
let session: RelayedSession;
let relay: Relay;

const create = (name: string) => session.run(['lists', 'create', name]);

/** The caller's lists named `name`, read from the API itself. */
async function stored(name: string): Promise<unknown[]> {
  const lists = await session.read<{ name: string }[]>('/lists/');
  return lists.filter((l) => l.name === name);
}

beforeAll(async () => {
  session = await startRelayedSession('todo-list-retry-');
  relay = session.relay;
});

afterAll(async () => {
  await session?.close();
});

beforeEach(() => {
  relay.creates.length = 0;
});

describe('todo lists create when the answer is lost', () => {
  it('sends a fresh Idempotency-Key with each create', async () => {
    expect((await create('Groceries')).code).toBe(0);
    expect((await create('Chores')).code).toBe(0);
    const [a, b] = relay.creates.map((c) => keyOf(c.request));
    expect(a).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(b).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(a).not.toBe(b);
  });

  it('retries once with the same key after the connection closed before the answer: one list', async () => {
    relay.mode = { kind: 'drop' };
    const result = await create('Dropped once');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^Created list \S+ {2}Dropped once$/);
    expect(relay.creates).toHaveLength(2);
    const [first, retry] = relay.creates;
    // The API answered the first (so it stored the list); the CLI never saw that answer.
    expect(first?.answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(keyOf(retry?.request ?? '')).toBe(keyOf(first?.request ?? ''));
    expect(retry?.answer).toMatch(/\r\nidempotent-replayed: true\r\n/i);
    expect(await stored('Dropped once')).toHaveLength(1);
  });

  it('retries only once: a second lost answer says to look before creating it again', async () => {
    relay.mode = { kind: 'drop', times: 2 };
    const result = await create('Lost twice');
    expect(result.code).toBe(1);
    expect(relay.creates).toHaveLength(2);
    expect(await stored('Lost twice')).toHaveLength(1);
    expect(result.err).toMatch(
      /may have been created.*: check with todo lists before creating it again$/s,
    );
    expect(Object.keys(COMMANDS)).toContain('lists');
  });
});
