import { describe, expect, test } from 'vitest';
import { createApiClient } from '../src/api/client.js';
import { getMe, listTodos } from '../src/api/endpoints.js';
import { ApiError } from '../src/api/errors.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { fixedSession } from './support/render.js';

const api = freshPageEachTest();

describe('authenticated API client', () => {
  test('sends the access token as a Bearer credential', async () => {
    const client = createApiClient(api.url, fixedSession());
    await getMe(client);
    expect(api.requests[0]?.authorization).toBe('Bearer token-1');
  });

  test('a 401 renews silently once and replays the request with the new token', async () => {
    api.validTokens = new Set(['token-2']);
    const session = fixedSession('token-1');
    session.renewTo('token-2');
    const client = createApiClient(api.url, session);
    const page = await listTodos(client, 'open', undefined);
    expect(page.items).toEqual([]);
    expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(session.calls).toEqual({ renew: 1, reauthenticate: 0 });
    expect(api.requests[1]?.query.get('completed')).toBe('false');
  });

  test('when renewal fails it starts a new sign-in and reports session_expired', async () => {
    api.validTokens = new Set();
    const session = fixedSession('token-1');
    const client = createApiClient(api.url, session);
    const error = await getMe(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('session_expired');
    expect(session.calls).toEqual({ renew: 1, reauthenticate: 1 });
  });

  test('a replayed POST carries its body again', async () => {
    api.validTokens = new Set(['token-2']);
    const session = fixedSession('token-1');
    session.renewTo('token-2');
    const client = createApiClient(api.url, session);
    const { data } = await client.POST('/todos/', { body: { title: 'kept' } });
    expect(data?.title).toBe('kept');
    expect(api.requests.map((r) => r.body)).toEqual([{ title: 'kept' }, { title: 'kept' }]);
  });

  test('an unreachable API is a network error, not a crash', async () => {
    const client = createApiClient('http://127.0.0.1:9', fixedSession());
    const error = await getMe(client).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('network');
  });
});
