import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
    // Where to start, and where to look when the sign-in is refused.
    expect(result.out).toContain(
      'Start with todo login; when the API refuses the sign-in, todo doctor --login says why.',
    );
    expect((await run('help', 'doctor')).out).toContain(
      '--login signs in by the device grant first',
    );
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

  it('a title or a list name with nothing visible is refused before anything is asked of the API', async () => {
    // Spaces, an ideographic space, a tab, zero-width and word-joiner characters, a Hangul filler,
    // a byte order mark: nothing a person would read back.
    const blanks = [
      '',
      '   ',
      '\u3000\u00a0',
      '\t',
      '\u200b',
      '\u2060\ufeff',
      '\u3164',
      ' \u200b ',
    ];
    for (const blank of blanks) {
      const title = await run('add', blank);
      expect(title).toMatchObject({ code: 2, out: '', requests: [] });
      expect(title.err).toBe(
        'todo add: <title…> must contain a visible character, not only spaces or invisible characters\nusage: todo add <title…> [--description TEXT] [--list LIST]',
      );
      const name = await run('lists', 'create', blank);
      expect(name).toMatchObject({ code: 2, out: '', requests: [] });
      expect(name.err).toBe(
        'todo lists: <name> must contain a visible character, not only spaces or invisible characters\nusage: todo lists [create <name>]',
      );
    }
    // Words that are each blank make a blank title too, and --list is not looked up for it.
    expect(await run('add', ' ', '\u200b', '--list', 'groceries')).toMatchObject({
      code: 2,
      requests: [],
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a title or a list name with one visible character goes to the API, the judge of the rest', async () => {
    for (const args of [
      ['add', '  x  '],
      ['add', '\u200b', '·'],
      ['lists', 'create', ' é '],
    ]) {
      const result = await run(...args);
      // Not signed in: the session is looked up (the provider's discovery), no usage error.
      expect(result.code).toBe(1);
      expect(result.err).not.toContain('visible character');
    }
  });

  it('todo help <command> says what todo <command> --help says; an unknown one is a usage error', async () => {
    for (const name of ['add', 'doctor', 'share']) {
      const viaHelp = await run('help', name);
      expect(viaHelp).toMatchObject({ code: 0, err: '', requests: [] });
      expect(viaHelp.out).toMatch(new RegExp(`^usage: todo ${name} `));
      expect(viaHelp.out).toBe((await run(name, '--help')).out);
    }
    const unknown = await run('help', 'list');
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toMatch(/^todo help: unknown command "list"\nusage: todo <command>/);
    expect(await run('help', 'add', 'ls')).toMatchObject({ code: 2, out: '' });
  });

  it('todo --version prints the version of the package on standard output', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V'])
      expect(await run(flag)).toMatchObject({ code: 0, out: `todo ${version}`, err: '' });
  });
});
