import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { basic, form, startTestIdp, type TestIdp } from './helpers.js';

let idp: TestIdp;
/** Lives 3 s: long enough to be used, short enough to be seen expire. */
let shortLived: TestIdp;

beforeAll(async () => {
  [idp, shortLived] = await Promise.all([startTestIdp(), startTestIdp({ accessTokenLifespan: 3 })]);
});
afterAll(async () => {
  await Promise.all([idp?.close(), shortLived?.close()]);
});

/** An access token of the API's service account (client credentials, RFC 6749 §4.4). */
async function serviceToken(target: TestIdp): Promise<string> {
  const res = await fetch(target.discovery.token_endpoint as string, {
    ...form({ grant_type: 'client_credentials' }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic('todo-api', 'todo-api-secret'),
    },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** `GET /admin/realms/todo-app/{path}` with the bearer token; its status. */
async function adminGet(target: TestIdp, token: string, path: string): Promise<number> {
  const origin = new URL(target.issuer).origin;
  const res = await fetch(`${origin}/admin/realms/todo-app/${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

async function aliceId(target: TestIdp, token: string): Promise<string> {
  const origin = new URL(target.issuer).origin;
  const res = await fetch(`${origin}/admin/realms/todo-app/users?username=alice&exact=true`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const [alice] = (await res.json()) as { id: string }[];
  if (alice === undefined) throw new Error('no alice');
  return alice.id;
}

/**
 * The admin API checks a token's signature (RS256) once, not on every call: the API's service
 * account reads a page's people one call a person with the same token, and the check was most
 * of each call's time. Whether the token is still held (not revoked, its session not ended) and
 * not expired is checked on every call all the same.
 */
describe('the admin API and the signature of a token it has verified', { timeout: 30_000 }, () => {
  it('checks the signature of a token used for 100 calls once', async () => {
    const token = await serviceToken(idp);
    const id = await aliceId(idp, token);
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 100; i++)
        statuses.add(await adminGet(idp, token, `users/${id}/role-mappings`));
      expect([...statuses]).toEqual([200]);
      expect(verify).not.toHaveBeenCalled();
      // A token presented for the first time is checked.
      expect(await adminGet(idp, await serviceToken(idp), `users/${id}/role-mappings`)).toBe(200);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('refuses a token it has verified once it is revoked (RFC 7009), at the next call', async () => {
    const token = await serviceToken(idp);
    expect(await adminGet(idp, token, 'users')).toBe(200);
    const revoked = await fetch(idp.discovery.revocation_endpoint as string, {
      ...form({ token }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(revoked.status).toBe(200);
    expect(await adminGet(idp, token, 'users')).toBe(401);
  });

  it('refuses a token it has verified once it has expired', async () => {
    const token = await serviceToken(shortLived);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
    };
    expect(await adminGet(shortLived, token, 'users')).toBe(200);
    // Expired from the second `exp` names on (RFC 7519 §4.1.4).
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    expect(await adminGet(shortLived, token, 'users')).toBe(401);
  });
});
