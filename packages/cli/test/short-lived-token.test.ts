import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/store/types.js';
import { type Terminal, terminal, writeSession } from './support/run.js';
import { passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * `todo` against the dev IdP issuing 20 s access tokens, shorter than the 30 s the CLI refreshes
 * ahead of expiry by default: a token is used for most of its lifetime (`expires_in`, RFC 6749
 * §5.1), not refreshed before every request, and a session stored without its lifetime (by an
 * earlier version) still works and learns it at its next refresh.
 */
const LIFETIME_S = 20;
let stack: Stack;
let configDir: string;
let todo: Terminal;
/** The refresh token grants the CLI sent (RFC 6749 §6). */
let refreshes = 0;

const counting: typeof fetch = async (input, init) => {
  if (typeof init?.body === 'string' && init.body.includes('grant_type=refresh_token')) refreshes++;
  return fetch(input, init);
};

async function stored(): Promise<StoredSession> {
  const file = JSON.parse(await readFile(join(configDir, 'sessions.json'), 'utf8'));
  return Object.values(file as Record<string, StoredSession>)[0] as StoredSession;
}

beforeAll(async () => {
  stack = await startStack({ accessTokenLifespan: LIFETIME_S });
  configDir = await mkdtemp(join(tmpdir(), 'todo-short-token-'));
  const env = {
    TODO_CONFIG_DIR: configDir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
  };
  todo = terminal(env, 'alice', counting);
});

afterAll(async () => {
  await stack?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('todo with access tokens of 20 s', () => {
  it('uses a fresh token without refreshing it, and refreshes once within its last quarter', async () => {
    expect((await todo.run('login')).code).toBe(0);
    const signedIn = await stored();
    expect(signedIn.lifetimeMs).toBe(LIFETIME_S * 1000);
    refreshes = 0;
    expect((await todo.run('add', 'Short', 'lived')).code).toBe(0);
    expect((await todo.run('ls')).code).toBe(0);
    expect(refreshes).toBe(0);
    expect((await stored()).accessToken).toBe(signedIn.accessToken);

    // 4 s before expiry: within the margin of a quarter of 20 s, one refresh for two requests.
    todo.clockOffsetMs = signedIn.expiresAt - 4_000 - Date.now();
    try {
      const ls = await todo.run('ls');
      expect(ls.code).toBe(0);
      expect(ls.out).toContain('Short lived');
    } finally {
      todo.clockOffsetMs = 0;
    }
    expect(refreshes).toBe(1);
    expect((await stored()).accessToken).not.toBe(signedIn.accessToken);
  }, 20_000);

  it('still uses a session stored without the token lifetime, and keeps the lifetime from its refresh', async () => {
    const tokens = await passwordGrant(stack.issuer);
    // The format of sessions stored before the lifetime was kept.
    writeSession(configDir, {
      issuer: stack.issuer,
      clientId: 'todo-cli',
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      idToken: tokens.id_token,
      expiresAt: Date.now() + LIFETIME_S * 1000,
    });
    refreshes = 0;
    const first = await todo.run('ls');
    expect(first).toMatchObject({ code: 0, err: '' });
    // Without the lifetime, the 30 s margin holds: one refresh, which stores the lifetime.
    expect(refreshes).toBe(1);
    expect((await stored()).lifetimeMs).toBe(LIFETIME_S * 1000);
    expect((await todo.run('ls')).code).toBe(0);
    expect(refreshes).toBe(1);
  }, 20_000);
});
