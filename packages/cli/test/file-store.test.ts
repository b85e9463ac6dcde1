import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/store/types.js';
import { terminal } from './support/run.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * The fallback token file against a hostile neighbour: a configuration folder that already
 * exists with loose permissions (created by another tool, or TODO_CONFIG_DIR pointing at a shared
 * folder), and links planted where the CLI writes. Tokens must end up only in a 0600 file in a
 * 0700 folder of the user's, and never be written through a link an attacker placed.
 */
describe('the token file (TODO_TOKEN_STORE=file)', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack();
    dir = await mkdtemp(join(tmpdir(), 'todo-cli-file-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (configDir: string, ...args: string[]) =>
    terminal({
      TODO_CONFIG_DIR: configDir,
      TODO_ISSUER: stack.issuer,
      TODO_API_URL: stack.apiUrl,
      TODO_TOKEN_STORE: 'file',
    }).run(...args);

  it('tightens a configuration folder that others could write to, and never writes through planted links', async () => {
    const configDir = join(dir, 'shared');
    await mkdir(configDir);
    await chmod(configDir, 0o777);
    // What a local attacker could place in a world-writable folder: links at the names the
    // CLI writes to, pointing at a file the attacker reads.
    const loot = join(dir, 'loot');
    await writeFile(loot, '');
    await chmod(loot, 0o666);
    await symlink(loot, join(configDir, `sessions.json.${process.pid}.tmp`));

    const result = await run(configDir, 'login');
    expect(result.code).toBe(0);
    expect(await readFile(loot, 'utf8')).toBe('');
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    const file = join(configDir, 'sessions.json');
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await lstat(join(configDir, 'config.json'))).isFile()).toBe(true);
    const sessions = JSON.parse(await readFile(file, 'utf8')) as Record<string, StoredSession>;
    expect(Object.values(sessions)[0]?.refreshToken).toBeTruthy();
    expect((await run(configDir, 'logout')).code).toBe(0);
  });

  it('refuses a token or settings file that is a link or that others can read, rather than using it', async () => {
    const configDir = join(dir, 'planted');
    await mkdir(configDir, { mode: 0o700 });
    // Tokens of another account, planted to have this user's todos written into it.
    const planted = join(dir, 'planted-sessions.json');
    const key = `todo-cli@${stack.issuer}`;
    await writeFile(
      planted,
      JSON.stringify({
        [key]: {
          issuer: stack.issuer,
          clientId: 'todo-cli',
          accessToken: 'planted',
          expiresAt: Date.now() + 600_000,
        },
      }),
      { mode: 0o600 },
    );
    await symlink(planted, join(configDir, 'sessions.json'));
    const linked = await run(configDir, 'whoami');
    expect(linked.code).toBe(2);
    expect(linked.err).toContain(`${join(configDir, 'sessions.json')}: it is not a regular file`);

    await rm(join(configDir, 'sessions.json'));
    await writeFile(join(configDir, 'sessions.json'), await readFile(planted), { mode: 0o644 });
    await chmod(join(configDir, 'sessions.json'), 0o644);
    const readable = await run(configDir, 'whoami');
    expect(readable.code).toBe(2);
    expect(readable.err).toContain('others can read or change it (mode 644)');
    await rm(join(configDir, 'sessions.json'));

    // The last login's choices decide where tokens go: a planted link is not followed either.
    const profile = join(dir, 'planted-config.json');
    await writeFile(profile, JSON.stringify({ apiUrl: 'http://127.0.0.1:9' }), { mode: 0o600 });
    await symlink(profile, join(configDir, 'config.json'));
    const redirected = await run(configDir, 'whoami');
    expect(redirected.code).toBe(2);
    expect(redirected.err).toContain(`${join(configDir, 'config.json')}: it is not a regular file`);
  });
});
