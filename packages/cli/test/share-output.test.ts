import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { writeSession } from './support/run.js';

/**
 * `todo share <list>` prints other people's usernames (what their identity provider says) and
 * the list's name: text the person running the command did not write. Control characters in
 * them (an escape sequence rewriting the screen) never reach the terminal, as in every other
 * table of the CLI.
 */
const ISSUER = 'https://idp.example/realms/todo-app';
const API = 'https://api.example';
const LIST = '0b6e8a52-5d0e-4c53-9c2a-5a3b0d3f6f10';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-share-output-'));
  const session = {
    issuer: ISSUER,
    clientId: 'todo-cli',
    accessToken: 'access-token',
    expiresAt: Date.now() + 3_600_000,
  };
  writeSession(dir, session);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: { TODO_CONFIG_DIR: dir, TODO_ISSUER: ISSUER, TODO_API_URL: API, TODO_TOKEN_STORE: 'file' },
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
      if (url.pathname === '/lists/')
        return json([
          {
            id: LIST,
            name: 'Trip\u001b[2J',
            relation: 'owner',
            isDefault: false,
            todoCount: 0,
            actions: [],
          },
        ]);
      if (url.pathname === `/lists/${LIST}/members` && method === 'GET')
        return json([
          {
            issuer: ISSUER,
            sub: 's1',
            username: 'mallory\u001b]8;;https://evil.example\u0007',
            relation: 'editor',
          },
          { issuer: ISSUER, sub: 'evil\u009b2J', username: null, relation: 'viewer' },
        ]);
      if (url.pathname.startsWith(`/lists/${LIST}/members/`))
        return json({ issuer: ISSUER, sub: 's2', username: 'bob', relation: 'viewer' });
      return new Response('{}', { status: 404 });
    },
    now: () => Date.now(),
    sleep: async () => {},
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('todo share output', () => {
  it('shows members without the control characters of their usernames', async () => {
    const result = await run('share', LIST);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^mallory/m);
    expect(result.out.split('\n').filter((l) => CONTROL.test(l))).toEqual([]);
  });

  it('names the list without its control characters when sharing', async () => {
    const result = await run('share', LIST, 'bob');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^Shared Trip/);
    expect(CONTROL.test(result.out)).toBe(false);
  });
});
