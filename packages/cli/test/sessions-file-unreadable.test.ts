import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminal } from './support/run.js';

/**
 * A `sessions.json` that is not a JSON object (cut short, edited by hand, not ours) may still
 * hold sessions for other issuers. It is never read as empty, which would make the next save (a
 * sign-in, a refresh) drop all of them: commands stop and name the file, a sign-in before it asks
 * the provider for anything, and `todo logout` sets the file aside instead of losing it.
 */
describe('an unreadable sessions.json (TODO_TOKEN_STORE=file)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-cli-unreadable-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, text, why] of [
    ['not JSON', '{"todo-cli@https://a.example": {"accessToken": "x"', 'it is not JSON'],
    ['a JSON array', '[]', 'it is not a JSON object'],
    ['a JSON number', '42', 'it is not a JSON object'],
  ] as const)
    it(`refuses one that is ${name}, keeps it as it is, and lets todo logout set it aside`, async () => {
      const configDir = await mkdtemp(join(dir, 'config-'));
      const file = join(configDir, 'sessions.json');
      await writeFile(file, text, { mode: 0o600 });
      const todo = terminal({
        TODO_CONFIG_DIR: configDir,
        // Nothing listens here: a sign-in that got as far as discovery would say so instead.
        TODO_ISSUER: 'http://127.0.0.1:9/realms/todo-app',
        TODO_API_URL: 'http://127.0.0.1:9',
        TODO_TOKEN_STORE: 'file',
      });
      const refusal = `${file} cannot be read (${why}); nothing in it was changed. It may hold other sessions: move it aside (or remove it if nothing in it is needed), then run todo login; todo logout sets it aside for you.`;
      expect(await todo.run('login')).toMatchObject({ code: 2, err: `todo login: ${refusal}` });
      expect(await todo.run('whoami')).toMatchObject({ code: 2, err: `todo whoami: ${refusal}` });
      expect(await readFile(file, 'utf8')).toBe(text);

      const out = await todo.run('logout');
      expect(out.code).toBe(1);
      expect(out.out).toBe('Not signed in.');
      const [aside, ...others] = (await readdir(configDir)).filter((n) =>
        n.startsWith('sessions.json.unreadable-'),
      );
      expect(others).toEqual([]);
      expect(aside).toBeDefined();
      const kept = join(configDir, aside ?? '');
      expect(out.err).toBe(
        `todo logout: ${file} could not be read, so no session in it was ended at the identity provider; it was kept as ${kept} (mode 0600). Remove that file once nothing in it is needed.`,
      );
      expect(await readFile(kept, 'utf8')).toBe(text);
      expect((await stat(kept)).mode & 0o777).toBe(0o600);
      await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
      // The way is clear again: nothing is kept, so nothing is refused.
      expect(await todo.run('logout')).toMatchObject({ code: 0, out: 'Not signed in.' });
    });
});
