import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeError } from '../src/api/refusal.js';
import { Session } from '../src/session.js';
import { resolveSettings } from '../src/settings.js';
import { writeSession } from './support/run.js';
import { passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * A session the provider gave no refresh token (RFC 6749 §5.1: it is optional) whose access token
 * the API refuses while it is still valid: the API here expects another audience, so it answers
 * 401 `invalid_token` to the dev IdP's real tokens. The CLI cannot get another token, and says
 * what the API said (RFC 6750 §3), not that the token expired.
 */
let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ apiEnv: { OIDC_AUDIENCE: 'another-api' } });
  dir = await mkdtemp(join(tmpdir(), 'todo-refused-'));
  await mkdir(join(dir, 'config'), { mode: 0o700 });
});

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A session of alice with no refresh token, its access token valid for `validForMs`. */
async function sessionWithoutRefreshToken(validForMs: number) {
  const tokens = await passwordGrant(stack.issuer);
  const env = {
    TODO_CONFIG_DIR: join(dir, 'config'),
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
  };
  writeSession(env.TODO_CONFIG_DIR, {
    issuer: stack.issuer,
    clientId: 'todo-cli',
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    expiresAt: Date.now() + validForMs,
  });
  const io = {
    out: () => {},
    err: () => {},
    env,
    fetch: globalThis.fetch,
    now: Date.now,
    sleep: async () => {},
    openBrowser: async () => false,
  };
  const answer = await fetch(`${stack.apiUrl}/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  expect(answer.status).toBe(401);
  const error = challengeError(answer.headers.get('www-authenticate') ?? '');
  return {
    session: new Session(io, resolveSettings({}, env)),
    refusal: { accessToken: tokens.access_token, ...(error === undefined ? {} : { error }) },
  };
}

describe('an access token refused by the API, and no refresh token', () => {
  it('says what the API said while the token is valid, not that it expired', async () => {
    const { session, refusal } = await sessionWithoutRefreshToken(60_000);
    expect(refusal.error?.error).toBe('invalid_token');
    expect(refusal.error?.error_description).toBeTruthy();
    await expect(session.credentials(refusal)).rejects.toMatchObject({
      code: 'session_ended',
      message: `The API refused the access token (invalid_token: ${refusal.error?.error_description}), and there is no refresh token to get another; run todo login`,
    });
  });

  it('says the token expired once it has', async () => {
    const { session, refusal } = await sessionWithoutRefreshToken(-1_000);
    await expect(session.credentials(refusal)).rejects.toMatchObject({
      code: 'session_ended',
      message: 'The access token expired; run todo login',
    });
  });
});
