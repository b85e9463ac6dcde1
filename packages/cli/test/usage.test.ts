import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * Usage errors: exit 2, the reason and the usage on standard error (standard output stays empty,
 * so `todo … > file` holds no help text), before anything reaches the network or the disk.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const code = await main(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: { TODO_CONFIG_DIR: join(dir, 'config'), TODO_TOKEN_STORE: 'file' },
    fetch: async (input) => {
      requests.push(String(input instanceof Request ? input.url : input));
      throw new TypeError('fetch failed');
    },
    now: Date.now,
    sleep: async () => {},
    openBrowser: async () => false,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), requests };
}

describe('usage errors', () => {
  it('todo without a command prints the usage on standard error and exits 2', async () => {
    const result = await run();
    expect(result).toMatchObject({ code: 2, out: '', requests: [] });
    expect(result.err).toMatch(/^usage: todo <command> \[options\]/);
  });

  it('todo help prints it on standard output and exits 0', async () => {
    const result = await run('help');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^usage: todo <command> \[options\]/);
  });

  it('an unknown --role is refused before anything is asked of the API', async () => {
    const result = await run('share', 'groceries', 'bob', '--role', 'admin');
    expect(result).toMatchObject({
      code: 2,
      out: '',
      err: 'todo share: --role must be editor or viewer',
      requests: [],
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
