import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOriginCheck, OriginRefusedError, originRefused } from '../src/api/cors-refusal.js';
import { ApiError } from '../src/api/errors.js';

/**
 * A real API-like server that answers `/healthz` with CORS headers only for `allowed`, and a
 * fetch that enforces the browser's CORS check on it (Node's fetch does not): a `cors` answer
 * without a matching Access-Control-Allow-Origin rejects as the browser's TypeError; a `no-cors`
 * answer resolves, opaque.
 */
let server: Server;
let base: string;
const allowed = 'http://app.example';
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const origin = request.headers.origin;
    if (origin === allowed) response.setHeader('Access-Control-Allow-Origin', origin);
    response.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function browserFetch(pageOrigin: string): typeof fetch {
  return async (input, init) => {
    const mode = init?.mode ?? 'cors';
    calls.push(mode);
    const response = await fetch(input, { headers: { Origin: pageOrigin } });
    if (mode === 'no-cors') return new Response(null, { status: 200 });
    if (response.headers.get('Access-Control-Allow-Origin') !== pageOrigin) {
      throw new TypeError('Failed to fetch');
    }
    return response;
  };
}

describe('originRefused', () => {
  test('an API that answers but leaves this origin out of CORS is a refusal', async () => {
    expect(await originRefused(base, browserFetch('http://other.example'))).toBe(true);
  });

  test('an API that allows this origin is no refusal (the failure was something else)', async () => {
    expect(await originRefused(base, browserFetch(allowed))).toBe(false);
  });

  test('an API nobody can reach is an outage, not a refusal', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(
      await originRefused(`http://127.0.0.1:${port}`, browserFetch('http://other.example')),
    ).toBe(false);
  });
});

describe('createOriginCheck', () => {
  test('probes once per burst of failures, again after an answer or when the burst is over', async () => {
    calls.length = 0;
    let clock = 0;
    const check = createOriginCheck(base, browserFetch('http://other.example'), () => clock);
    const readings = await Promise.all([check.refused(), check.refused(), check.refused()]);
    expect(readings).toEqual([true, true, true]);
    expect(await check.refused()).toBe(true);
    expect(calls).toEqual(['no-cors', 'cors']);

    check.answered();
    expect(await check.refused()).toBe(true);
    expect(calls).toHaveLength(4);

    clock += 30_000;
    expect(await check.refused()).toBe(true);
    expect(calls).toHaveLength(6);
  });
});

test('a refused request reads as CORS, naming both origins and CORS_ORIGINS; an outage keeps its words', () => {
  const refused = new ApiError('network', 0, undefined, {
    cause: new OriginRefusedError('http://api.example', 'http://app.example'),
  });
  expect(refused.code).toBe('network');
  expect(refused.message).toBe(
    "The API at http://api.example answers but refuses this page's origin http://app.example (CORS). The administrator must add it to the API's CORS_ORIGINS.",
  );
  const outage = new ApiError('network', 0, undefined, { cause: new TypeError('Failed to fetch') });
  expect(outage.message).toBe('Cannot reach the server. Check your connection and try again.');
});
