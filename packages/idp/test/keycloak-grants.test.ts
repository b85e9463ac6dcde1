import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  form,
  passwordGrant,
  realmJson,
  refresh,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
let rotating: TestIdp;
let reusable: TestIdp;

beforeAll(async () => {
  idp = await startTestIdp();
  rotating = await startTestIdp({
    realm: { ...realmJson(), revokeRefreshToken: true, refreshTokenMaxReuse: 0 },
  });
  reusable = await startTestIdp({
    realm: { ...realmJson(), revokeRefreshToken: true, refreshTokenMaxReuse: 1 },
  });
});
afterAll(async () => {
  await Promise.all([idp.close(), rotating.close(), reusable.close()]);
});

async function post(url: string, values: Record<string, string>, authorization?: string) {
  const init = form(values);
  const res = await fetch(url, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      ...(authorization ? { authorization } : {}),
    },
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('a public client may authenticate with a Basic header and an empty secret, as in Keycloak', () => {
  it('gets tokens from the password grant with `Basic todo-cli:`', async () => {
    const { status, body } = await post(
      idp.discovery.token_endpoint as string,
      { grant_type: 'password', username: 'alice', password: 'alice' },
      basic('todo-cli', ''),
    );
    expect(status).toBe(200);
    expect(body.access_token).toEqual(expect.any(String));
    const refreshed = await post(
      idp.discovery.token_endpoint as string,
      { grant_type: 'refresh_token', refresh_token: body.refresh_token as string },
      basic('todo-cli', ''),
    );
    expect(refreshed.status).toBe(200);
  });

  it('starts the device flow with `Basic todo-cli:`', async () => {
    const { status, body } = await post(
      idp.discovery.device_authorization_endpoint as string,
      { scope: 'openid' },
      basic('todo-cli', ''),
    );
    expect(status).toBe(200);
    expect(body.device_code).toEqual(expect.any(String));
  });

  it('accepts an empty client_secret in the body of a public client', async () => {
    const { status } = await post(idp.discovery.token_endpoint as string, {
      grant_type: 'password',
      client_id: 'todo-cli',
      client_secret: '',
      username: 'bob',
      password: 'bob',
    });
    expect(status).toBe(200);
  });

  it('still refuses a confidential client with a wrong secret, in the header or the body', async () => {
    const header = await post(
      idp.discovery.token_endpoint as string,
      { grant_type: 'client_credentials' },
      basic('todo-api', ''),
    );
    expect(header.status).toBe(401);
    expect(header.body.error).toBe('invalid_client');
    const body = await post(idp.discovery.token_endpoint as string, {
      grant_type: 'client_credentials',
      client_id: 'todo-api',
      client_secret: 'wrong',
    });
    expect(body.status).toBe(401);
    expect(body.body.error).toBe('invalid_client');
  });
});

describe('refresh-token rotation follows the realm as Keycloak does', () => {
  it('by default (revokeRefreshToken false) three concurrent refreshes all succeed and the token stays usable', async () => {
    const { body } = await passwordGrant(idp, 'carol');
    const token = body.refresh_token as string;
    const results = await Promise.all([1, 2, 3].map(() => refresh(idp, token)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of results) expect(r.body.refresh_token).toEqual(expect.any(String));
    expect((await refresh(idp, token)).status).toBe(200);
    // The session was not revoked: every token handed out still refreshes.
    for (const r of results)
      expect((await refresh(idp, r.body.refresh_token as string)).status).toBe(200);
  });

  it('with revokeRefreshToken and refreshTokenMaxReuse 0, one of three concurrent refreshes wins, the others get invalid_grant, the session lives on', async () => {
    const { body } = await passwordGrant(rotating, 'carol');
    const token = body.refresh_token as string;
    const results = await Promise.all([1, 2, 3].map(() => refresh(rotating, token)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(1);
    expect(refused.map((r) => [r.status, r.body.error, r.body.error_description])).toEqual([
      [400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded'],
      [400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded'],
    ]);
    const next = await refresh(rotating, ok[0]?.body.refresh_token as string);
    expect(next.status).toBe(200);
  });

  it('with refreshTokenMaxReuse 1 a refresh token serves two refreshes, not three', async () => {
    const { body } = await passwordGrant(reusable, 'carol');
    const token = body.refresh_token as string;
    expect((await refresh(reusable, token)).status).toBe(200);
    expect((await refresh(reusable, token)).status).toBe(200);
    const third = await refresh(reusable, token);
    expect(third.status).toBe(400);
    expect(third.body.error_description).toBe('Maximum allowed refresh token reuse exceeded');
  });

  it('with revokeRefreshToken a token issued before the last refresh is stale', async () => {
    const { body } = await passwordGrant(reusable, 'alice');
    const first = body.refresh_token as string;
    // Keycloak compares whole seconds: the stale token must be older than the last refresh.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await refresh(reusable, first);
    const third = await refresh(reusable, second.body.refresh_token as string);
    expect(third.status).toBe(200);
    const stale = await refresh(reusable, first);
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: 'invalid_grant', error_description: 'Stale token' });
  });
});

describe('wrong credentials at the password grant', () => {
  it('answer 401 invalid_grant "Invalid user credentials", the same for an unknown user', async () => {
    const wrong = await passwordGrant(idp, 'bob', 'not-bob');
    const unknown = await passwordGrant(idp, 'nobody-here', 'whatever');
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid user credentials',
      });
    }
  });
});
