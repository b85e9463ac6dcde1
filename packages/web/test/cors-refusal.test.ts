import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOriginCheck, OriginRefusedError, originRefused } from '../src/api/cors-refusal.js';
import { ApiError } from '../src/api/errors.js';

/**
 * A real API-like server: `/healthz` answers every origin (Access-Control-Allow-Origin: *), as
 * the API does, and every other path carries CORS headers only for `allowed`, as the API's
 * CORS_ORIGINS does; and a fetch that enforces the browser's CORS check on it (Node's fetch does
 * not): an answer without a matching Access-Control-Allow-Origin rejects as the browser's
 * TypeError. A proxy in front of an API that is down answers 502 with no CORS header at all.
 */
let server: Server;
let base: string;
let proxy: Server;
let proxied: string;
const allowed = 'http://app.example';
const calls: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const origin = request.headers.origin;
    if (request.url === '/healthz') response.setHeader('Access-Control-Allow-Origin', '*');
    else if (origin === allowed) response.setHeader('Access-Control-Allow-Origin', origin);
    response.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy = createServer((_request, response) => {
    response.writeHead(502, { 'content-type': 'text/html' });
    response.end('<h1>502 Bad Gateway</h1>');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

function browserFetch(pageOrigin: string): typeof fetch {
  return async (input, init) => {
    const mode = init?.mode ?? 'cors';
    calls.push(`${mode} ${new URL(String(input)).pathname}`);
    const response = await fetch(input, { headers: { Origin: pageOrigin } });
    if (mode === 'no-cors') return new Response(null, { status: 200 });
    const allows = response.headers.get('Access-Control-Allow-Origin');
    if (allows !== pageOrigin && allows !== '*') throw new TypeError('Failed to fetch');
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

  test('a proxy answering for an API that is down (502, no CORS headers) is an outage, not a refusal', async () => {
    expect(await originRefused(proxied, browserFetch('http://other.example'))).toBe(false);
    expect(await originRefused(proxied, browserFetch(allowed))).toBe(false);
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
    expect(calls).toEqual(['cors /healthz', 'cors /readyz']);

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
