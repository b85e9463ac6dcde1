import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/main.js';
import type { Relay } from './support/relay.js';
import { keyOf, type RelayedSession, startRelayedSession } from './support/relayed-session.js';

/**
 * `todo add` against the real API through a TCP relay that can lose the answer to the first
 * create: its connection closed once the API has answered (so the todo is stored), the answer
 * held past the CLI's timeout, or a 503 sent in the API's place. The CLI sends the request once
 * more with the same `Idempotency-Key`, and exactly one todo exists.
 */

let session: RelayedSession;
let relay: Relay;
const slept: number[] = [];

const add = (title: string) =>
  session.run(['add', title], async (ms) => {
    slept.push(ms);
    await new Promise((resolve) => setTimeout(resolve, ms));
  });

/** The caller's todos titled `title`, read from the API itself. */
async function stored(title: string): Promise<unknown[]> {
  const page = await session.read<{ items: { title: string }[] }>('/todos/?limit=100');
  return page.items.filter((t) => t.title === title);
}

beforeAll(async () => {
  session = await startRelayedSession('todo-add-retry-');
  relay = session.relay;
});

afterAll(async () => {
  await session?.close();
});

beforeEach(() => {
  relay.creates.length = 0;
  slept.length = 0;
});

describe('todo add when the answer is lost', () => {
  it('sends a fresh Idempotency-Key with each add', async () => {
    expect((await add('First')).code).toBe(0);
    expect((await add('Second')).code).toBe(0);
    const [a, b] = relay.creates.map((c) => keyOf(c.request));
    expect(a).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(b).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(a).not.toBe(b);
  });

  it('retries once with the same key after the connection closed before the answer: one todo', async () => {
    relay.mode = { kind: 'drop' };
    const result = await add('Dropped once');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^Added [0-9a-f]{8} {2}Dropped once$/);
    expect(relay.creates).toHaveLength(2);
    const [first, retry] = relay.creates;
    // The API answered the first (so it stored the todo); the CLI never saw that answer.
    expect(first?.answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(keyOf(retry?.request ?? '')).toBe(keyOf(first?.request ?? ''));
    expect(retry?.answer).toMatch(/\r\nidempotent-replayed: true\r\n/i);
    expect(await stored('Dropped once')).toHaveLength(1);
  });

  it('retries once after no answer within the timeout: one todo', async () => {
    // The first answer is held far longer than the CLI's 500 ms timeout, so the bound below
    // tells a retry at the timeout from one sent when the held connection closes, with seconds
    // of margin for a loaded machine.
    relay.mode = { kind: 'hold', ms: 15_000 };
    const started = Date.now();
    const result = await add('Too slow once');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code, result.err).toBe(0);
    expect(relay.creates).toHaveLength(2);
    expect(relay.creates[1]?.answer).toMatch(/\r\nidempotent-replayed: true\r\n/i);
    expect(await stored('Too slow once')).toHaveLength(1);
  });

  it('waits Retry-After after a 503 and retries once with the same key', async () => {
    relay.mode = { kind: 'unavailable', retryAfter: '1' };
    const result = await add('After a 503');
    expect(result.code, result.err).toBe(0);
    expect(slept).toEqual([1_000]);
    expect(relay.creates).toHaveLength(2);
    const [first, retry] = relay.creates;
    expect(keyOf(retry?.request ?? '')).toBe(keyOf(first?.request ?? ''));
    expect(await stored('After a 503')).toHaveLength(1);
  });

  it('reports a 503 whose Retry-After is past the cap, without retrying', async () => {
    relay.mode = { kind: 'unavailable', retryAfter: '120' };
    const result = await add('Not now');
    expect(result.code).toBe(1);
    expect(result.err).toContain('HTTP 503');
    expect(result.err).toContain('try again in 120 s (Retry-After).');
    expect(relay.creates).toHaveLength(1);
    expect(slept).toEqual([]);
    expect(await stored('Not now')).toHaveLength(0);
  });

  it('retries only once: a second lost answer is reported', async () => {
    relay.mode = { kind: 'drop', times: 2 };
    const result = await add('Lost twice');
    expect(result.code).toBe(1);
    // The API was reached both times: only the answers are missing.
    expect(result.err).toContain('did not answer');
    expect(result.err).toContain('after the request was sent');
    expect(result.err).not.toContain('cannot be reached');
    expect(relay.creates).toHaveLength(2);
    expect(await stored('Lost twice')).toHaveLength(1);
    // Stored, though no answer said so: the person is told to look before adding it again (a new
    // run sends a new key, so adding it again would make a second todo).
    expect(result.err).toMatch(
      /may have been added.*: check with todo ls before adding it again$/s,
    );
    // The command it names is one `todo` has.
    expect(Object.keys(COMMANDS)).toContain('ls');
  });
});
