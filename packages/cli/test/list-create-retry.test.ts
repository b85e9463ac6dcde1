import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../src/main.js';
import { type Relay, startRelay } from './support/relay.js';
import { writeSession } from './support/run.js';
import { passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * `todo lists create` against the real API through a relay that can lose the answer to the
 * first create: the CLI sends the request once more with the same `Idempotency-Key`, and
 * exactly one list exists.
 */
let stack: Stack;
let relay: Relay;
let dir: string;
let accessToken: string;

async function create(name: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['lists', 'create', name], {
    env: {
      TODO_CONFIG_DIR: dir,
      TODO_ISSUER: stack.issuer,
      TODO_API_URL: relay.url,
      TODO_TOKEN_STORE: 'file',
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    createTimeoutMs: 500,
    openBrowser: async () => false,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The caller's lists named `name`, read from the API itself. */
async function stored(name: string): Promise<unknown[]> {
  const res = await fetch(`${stack.apiUrl}/lists/`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const lists = (await res.json()) as { name: string }[];
  return lists.filter((l) => l.name === name);
}

const keyOf = (head: string) => /\r\nidempotency-key: ("[^"\r\n]+")\r\n/i.exec(head)?.[1];

beforeAll(async () => {
  stack = await startStack();
  relay = await startRelay(stack.apiUrl);
  dir = await mkdtemp(join(tmpdir(), 'todo-list-retry-'));
  const tokens = await passwordGrant(stack.issuer);
  accessToken = tokens.access_token;
  writeSession(dir, {
    issuer: stack.issuer,
    clientId: 'todo-cli',
    accessToken,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + 3_600_000,
  });
  // The API loads the provider's keys at its first token: done here, so that no first create
  // outlives the 500 ms the tests give an answer on a busy machine.
  await stored('');
});

afterAll(async () => {
  await relay?.close();
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
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
