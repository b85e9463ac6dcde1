import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import type { StoredSession } from '../src/store/types.js';
import { terminal } from './support/run.js';
import { CLOSED_PORT, devRealm } from './support/stack.js';

/**
 * Sign-out when the identity provider cannot be reached: the tokens are forgotten all the same
 * (a person who typed `todo logout` on a shared machine must not leave a usable refresh token
 * behind because the provider was down), and the command says that the provider's session may
 * still be open rather than claiming it ended.
 */
describe('todo logout while the identity provider is down', () => {
  let idp: RunningIdp | undefined;
  let dir: string;
  let configDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'todo-cli-offline-'));
    configDir = join(dir, 'config');
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      realm: await devRealm(),
      dataDir: seedKeys(dir),
    });
  });
  afterAll(async () => {
    await idp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('forgets the tokens and says the session at the provider may still be open', async () => {
    const issuer = (idp as RunningIdp).issuer;
    const todo = terminal({
      TODO_CONFIG_DIR: configDir,
      TODO_ISSUER: issuer,
      // No API: login explains the refusal but keeps the tokens.
      TODO_API_URL: `http://127.0.0.1:${CLOSED_PORT}`,
      TODO_TOKEN_STORE: 'file',
    });
    expect((await todo.run('login')).code).toBe(0);
    const sessions = JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8')) as Record<
      string,
      StoredSession
    >;
    const stored = Object.values(sessions)[0] as StoredSession;
    expect(stored.refreshToken).toBeTruthy();

    await idp?.close();
    idp = undefined;
    const result = await todo.run('logout');
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      'Signed out locally: the identity provider could not be reached, so its session may still be open.',
    );
    expect(existsSync(join(configDir, 'sessions.json'))).toBe(false);
    expect(await todo.run('token')).toMatchObject({
      code: 1,
      err: `todo token: Not signed in to ${issuer}; run todo login`,
    });
    for (const text of [result.out, result.err]) {
      expect(text).not.toContain(stored.refreshToken as string);
      expect(text).not.toContain(stored.accessToken);
    }
  });
});
