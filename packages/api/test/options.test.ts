import { describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

describe('OPTIONS requests', () => {
  const h = useHarness(sqliteDriver);
  const routes = ['/todos/', '/todos', '/me', '/admin/audit', '/healthz', '/nope'];

  it.each(routes)(
    'answers an OPTIONS %s that is not a CORS preflight with 400 problem details',
    async (url) => {
      for (const headers of [{}, { origin: 'http://localhost:3000' }]) {
        const response = await h.app.inject({ method: 'OPTIONS', url, headers });
        expect(response.statusCode).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({
          status: 400,
          code: 'invalid_request',
          detail: expect.stringContaining('Access-Control-Request-Method'),
        });
      }
    },
  );

  it.each(routes)('answers a CORS preflight of %s from an allowed origin with 204', async (url) => {
    const response = await h.app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(response.headers['access-control-allow-methods']).toContain('DELETE');
  });
});

describe('CORS responses to the configured origin', () => {
  const h = useHarness(sqliteDriver);

  it('let a browser read the rate-limit headers, as it reads Retry-After', async () => {
    const response = await h.as('alice', {
      method: 'GET',
      url: '/me',
      headers: { origin: 'http://localhost:3000' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers.vary).toContain('Origin');
    // Fetch standard, "CORS protocol": only safelisted headers are readable unless exposed.
    const exposed = String(response.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining([
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
      ]),
    );
  });
});

describe('URLs that cannot be decoded', () => {
  const h = useHarness(sqliteDriver);

  it.each(['/todos/%ZZ', '/admin/%E0%A4%A', '/todos/%C0%AF'])(
    'answers %s with 400 problem details, with or without a token',
    async (url) => {
      for (const authorization of [undefined, `Bearer ${h.tokens.alice}`]) {
        const response = await h.app.inject({
          method: 'GET',
          url,
          headers: authorization ? { authorization } : {},
        });
        expect(response.statusCode).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({
          status: 400,
          code: 'invalid_request',
          detail: 'The request path is not a valid percent-encoded URL (RFC 3986 §2.1)',
        });
        // Refused before routing, with the headers of every other answer all the same.
        expect(response.headers).toMatchObject({
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'content-security-policy': expect.stringContaining("default-src 'none'"),
        });
      }
    },
  );
});

/**
 * The web app tells an API refusing its origin from one it cannot reach by two CORS reads
 * (packages/web/src/api/cors-refusal.ts): `/healthz`, which any origin may read, and `/readyz`,
 * which only CORS_ORIGINS may, as every other route.
 */
describe('what another origin may read', () => {
  const h = useHarness(sqliteDriver);
  const foreign = { origin: 'http://elsewhere.example' };
  const allowed = { origin: 'http://localhost:3000' };

  it('/healthz answers every origin, without credentials, and with no other cross-origin policy', async () => {
    for (const headers of [foreign, allowed, {}]) {
      const response = await h.app.inject({ url: '/healthz', headers });
      expect(response.statusCode).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('/readyz and the other routes answer only the origins of CORS_ORIGINS', async () => {
    for (const url of ['/readyz', '/todos/', '/nope']) {
      const refused = await h.app.inject({ url, headers: foreign });
      expect(refused.headers['access-control-allow-origin'], url).toBeUndefined();
      const answered = await h.app.inject({ url, headers: allowed });
      expect(answered.headers['access-control-allow-origin'], url).toBe('http://localhost:3000');
    }
  });
});
