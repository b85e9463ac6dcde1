import { describe, expect, test } from 'vitest';
import { createApiClient } from '../src/api/client.js';
import { getMe } from '../src/api/endpoints.js';
import { sendAdd } from '../src/todos/add-in-flight.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { fixedSession } from './support/render.js';

const api = freshPageEachTest();

/**
 * A session holding a DPoP-bound token. Its proofs here are readable stand-ins naming what a
 * real proof signs (method, URL, nonce): these tests are about which proof is sent when; real
 * signed proofs are checked by the API's tests and the browser end-to-end tests.
 */
function boundSession() {
  const session = fixedSession('token-1');
  return Object.assign(session, {
    credentials: async (
      token: string,
      request: { method: string; url: string },
      nonce?: string,
    ): Promise<Record<string, string>> => ({
      Authorization: `DPoP ${token}`,
      DPoP: `proof ${request.method} ${new URL(request.url).pathname} nonce=${nonce ?? ''}`,
    }),
  });
}

const nonceChallenge = (nonce: string) => ({
  'WWW-Authenticate': 'DPoP realm="todo-api", error="use_dpop_nonce", algs="ES256"',
  'DPoP-Nonce': nonce,
});

describe('DPoP requests (RFC 9449)', () => {
  test('sends the DPoP scheme with a fresh proof on every call', async () => {
    const client = createApiClient(api.url, boundSession());
    await getMe(client);
    await getMe(client);
    expect(api.requests.map((r) => r.authorization)).toEqual(['DPoP token-1', 'DPoP token-1']);
    expect(api.requests.map((r) => r.dpop)).toEqual([
      'proof GET /me nonce=',
      'proof GET /me nonce=',
    ]);
  });

  test('a 401 use_dpop_nonce is retried once with the nonce, which later calls reuse', async () => {
    api.failNext(() => true, 401, 0, nonceChallenge('n-1'));
    const session = boundSession();
    const client = createApiClient(api.url, session);
    await getMe(client);
    expect(api.requests.map((r) => r.dpop)).toEqual([
      'proof GET /me nonce=',
      'proof GET /me nonce=n-1',
    ]);
    expect(session.calls).toEqual({ renew: 0, reauthenticate: 0 });
    await getMe(client);
    expect(api.requests[2]?.dpop).toBe('proof GET /me nonce=n-1');
  });

  test('an add retried for a nonce, or replayed after a renewal, goes with the same Idempotency-Key and body', async () => {
    const session = boundSession();
    const client = createApiClient(api.url, session);
    const request = { path: '/todos/', body: { title: 'Post the letter' } } as const;
    api.failNext(() => true, 401, 0, nonceChallenge('n-3'));
    await sendAdd(client, request, 'key-nonce');
    // An expired token: renewed once, and the request replayed.
    api.failNext(() => true, 401);
    session.renewTo('token-1');
    await sendAdd(client, request, 'key-renew');
    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.idempotencyKey)).toEqual([
      '"key-nonce"',
      '"key-nonce"',
      '"key-renew"',
      '"key-renew"',
    ]);
    expect(posts.map((r) => r.body)).toEqual(Array(4).fill({ title: 'Post the letter' }));
    expect(posts[1]?.dpop).toBe('proof POST /todos/ nonce=n-3');
    expect(session.calls.renew).toBe(1);
    expect(api.todos.map((todo) => todo.title)).toEqual(['Post the letter', 'Post the letter']);
  });

  test('a 400 use_dpop_nonce (the authorization server’s form) is retried with the nonce', async () => {
    api.failNext(() => true, 400, 0, { 'DPoP-Nonce': 'n-2' });
    // The fake server answers a problem body; the nonce form is a JSON error field.
    const client = createApiClient(api.url, boundSession(), async (input) => {
      const response = await fetch(input);
      if (response.status !== 400) return response;
      return new Response(JSON.stringify({ error: 'use_dpop_nonce' }), {
        status: 400,
        headers: { 'DPoP-Nonce': 'n-2', 'Content-Type': 'application/json' },
      });
    });
    await getMe(client);
    expect(api.requests.map((r) => r.dpop)).toEqual([
      'proof GET /me nonce=',
      'proof GET /me nonce=n-2',
    ]);
  });

  test('only once: a second nonce refusal is not answered with a third proof', async () => {
    api.failNext(() => true, 401, 0, nonceChallenge('n-1'));
    api.failNext(() => true, 401, 0, nonceChallenge('n-2'));
    const session = boundSession();
    const client = createApiClient(api.url, session);
    await getMe(client).catch(() => undefined);
    expect(api.requests.map((r) => r.dpop)).toEqual([
      'proof GET /me nonce=',
      'proof GET /me nonce=n-1',
    ]);
    // What is left is an ordinary refusal: renew (none here), then sign in again.
    expect(session.calls).toEqual({ renew: 1, reauthenticate: 1 });
  });
});
