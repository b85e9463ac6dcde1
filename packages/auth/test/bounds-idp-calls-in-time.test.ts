import { describe, expect, it } from 'vitest';
import { fetchJson, IdpHttpError } from '../src/http/fetch-json.js';

/**
 * An IdP call ends within its timeout even when the abort never reaches the connection. Node's
 * fetch (undici) follows the signal it is given through weak references, and after a garbage
 * collection an abort can be lost (nodejs/node#55428, nodejs/undici#4068): a JWKS endpoint that
 * hangs then held a request for as long as it hung (30 s in a CI run) instead of the 5 s that
 * make it a 503. Here the "connection" ignores its signal outright.
 */
describe('fetchJson keeps its own deadline', () => {
  const deaf = (body?: ReadableStream<Uint8Array>): typeof fetch =>
    (() =>
      body === undefined
        ? new Promise<Response>(() => undefined)
        : Promise.resolve(
            new Response(body, { headers: { 'content-type': 'application/json' } }),
          )) as typeof fetch;

  async function timed(promise: Promise<unknown>) {
    const started = performance.now();
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, ms: performance.now() - started };
  }

  it('when no answer comes and the abort is lost', async () => {
    const { error, ms } = await timed(
      fetchJson('https://idp.example/jwks', { fetch: deaf(), timeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(IdpHttpError);
    expect((error as Error).message).toBe('GET https://idp.example/jwks timed out');
    expect(ms).toBeLessThan(2_000);
  });

  it('when the body stops half-way and the abort is lost', async () => {
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"keys": ['));
      },
    });
    const { error, ms } = await timed(
      fetchJson('https://idp.example/jwks', { fetch: deaf(stalled), timeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(IdpHttpError);
    expect((error as Error).message).toBe('GET https://idp.example/jwks timed out');
    expect(ms).toBeLessThan(2_000);
  });
});
