import { describe, expect, test } from 'vitest';
import { toApiError } from '../src/api/errors.js';
import {
  AUTO_RETRY_AFTER_MAX_MS,
  createQueryClient,
  retryDelay,
  shouldRetry,
} from '../src/Root.js';

/** A 503 as the API answers it, with `Retry-After` when given. */
const unavailable = (retryAfter?: string) =>
  new Response(null, {
    status: 503,
    headers: {
      'Content-Type': 'application/problem+json',
      ...(retryAfter === undefined ? {} : { 'Retry-After': retryAfter }),
    },
  });

const REFUSED = "The identity provider refuses the API's client credentials";

describe('a 503 that says when to try again (Retry-After)', () => {
  test('says that the service is unavailable and when to try again', () => {
    const error = toApiError(unavailable('30'), { detail: REFUSED });
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.message).toBe(`${REFUSED}. Try again in 30 s.`);
    expect(toApiError(unavailable('5'), {}).message).toBe(
      'The service is temporarily unavailable. Try again in 5 s.',
    );
    expect(toApiError(unavailable('600'), {}).message).toMatch(/Try again in 10 minutes\.$/);
    const at = new Date(Date.now() + 20_000).toUTCString();
    expect(toApiError(unavailable(at), {}).message).toMatch(/Try again in (19|20|21) s\.$/);
    // Without one, or one that cannot be read: "in a moment", as before.
    for (const response of [unavailable(), unavailable('soon')]) {
      const error = toApiError(response, { detail: 'The database is unavailable' });
      expect(error.retryAfterMs).toBeUndefined();
      expect(error.message).toBe('The database is unavailable. Try again in a moment.');
    }
  });

  test('a read is retried once by itself, after the wait the API asked for', () => {
    const error = toApiError(unavailable('30'), { detail: REFUSED });
    expect(shouldRetry(0, error)).toBe(true);
    expect(retryDelay(0, error)).toBe(30_000);
    expect(shouldRetry(1, error)).toBe(false);
    // A longer wait is left to the person, whom the message tells when.
    const later = toApiError(unavailable(String(AUTO_RETRY_AFTER_MAX_MS / 1000 + 1)), {});
    expect(shouldRetry(0, later)).toBe(false);
    // Without Retry-After: twice, with the usual backoff.
    const plain = toApiError(unavailable(), {});
    expect([shouldRetry(0, plain), shouldRetry(1, plain), shouldRetry(2, plain)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(retryDelay(0, plain)).toBe(1000);
  });

  test('the app’s queries answer the first 503 with one retry, and show the second', async () => {
    const client = createQueryClient();
    let calls = 0;
    const failed = client.fetchQuery({
      queryKey: ['unavailable'],
      queryFn: async () => {
        calls++;
        throw toApiError(unavailable('0'), { detail: REFUSED });
      },
    });
    await expect(failed).rejects.toThrow(`${REFUSED}. Try again in 1 s.`);
    expect(calls).toBe(2);
  });
});

describe('a write whose outcome the API cannot tell (503 write_outcome_unknown)', () => {
  const unknown = () =>
    toApiError(unavailable('5'), {
      type: 'urn:todo-sso:problem:write-outcome-unknown',
      title: 'Service Unavailable',
      status: 503,
      code: 'write_outcome_unknown',
      detail:
        'The connection to the database was lost while the change was being saved: it may or may not have been saved. Repeating the request with the same Idempotency-Key is safe (it is answered as the first one was, or made once); without a key, read the resource first to see whether the change is there.',
    });

  test('says it may or may not have been saved, never that nothing was', () => {
    const error = unknown();
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(
      'The server lost its connection to its database while saving this change, so it may or may not have been saved. What you see has been read again: check it before doing the change again.',
    );
    expect(error.message).not.toMatch(/Idempotency-Key|nothing/i);
  });

  test('the app reads what it shows again after it, and not after an ordinary 503', async () => {
    for (const [error, reread] of [
      [unknown(), true],
      [toApiError(unavailable('5'), { code: 'unavailable', detail: 'x' }), false],
    ] as const) {
      const client = createQueryClient();
      client.setQueryData(['todos', 'list'], { items: ['as shown'] });
      const write = client.getMutationCache().build(client, {
        mutationFn: async () => {
          throw error;
        },
      });
      await expect(write.execute(undefined)).rejects.toBe(error);
      expect(client.getQueryState(['todos', 'list'])?.isInvalidated).toBe(reread);
    }
  });
});
