import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/store/types.js';
import { type Terminal, terminal } from './support/run.js';
import { devRealm, type Stack, startStack } from './support/stack.js';

/**
 * Two `todo` commands at once (a script running them in parallel) when the access token has
 * expired: both need a refresh, and the identity provider rotates refresh tokens and treats a
 * second use of a rotated one as a replay (RFC 9700 §4.14.2). The session must survive: one
 * command refreshes, the other uses what it stored.
 */
describe('todo with an expired access token, twice at once', () => {
  let stack: Stack;
  let configDir: string;
  let todo: Terminal;

  beforeAll(async () => {
    // Keycloak's "Revoke Refresh Token": every refresh token is good for one use only.
    stack = await startStack({ realm: { ...(await devRealm()), revokeRefreshToken: true } });
    configDir = await mkdtemp(join(tmpdir(), 'todo-cli-concurrent-'));
    todo = terminal({
      TODO_CONFIG_DIR: configDir,
      TODO_ISSUER: stack.issuer,
      TODO_API_URL: stack.apiUrl,
      TODO_TOKEN_STORE: 'file',
    });
  });
  afterAll(async () => {
    await stack?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const stored = async () =>
    Object.values(
      JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8')) as Record<
        string,
        StoredSession
      >,
    )[0] as StoredSession;

  it('refreshes once and both commands succeed; the session is still there afterwards', async () => {
    expect((await todo.run('login')).code).toBe(0);
    const before = await stored();
    todo.clockOffsetMs = before.expiresAt - Date.now() + 1000;
    const results = await Promise.all([todo.run('whoami', '--json'), todo.run('ls', '--json')]);
    todo.clockOffsetMs = 0;
    expect(results.map((r) => [r.code, r.err])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const after = await stored();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect((await todo.run('whoami')).code).toBe(0);
  });
});
