import { describe, expect, it } from 'vitest';
import { sqliteDriver } from './support/databases.js';
import { useHarness } from './support/harness.js';

describe('a known path with a method it does not answer', () => {
  const h = useHarness(sqliteDriver);

  it.each([
    ['POST', '/me', 'GET, HEAD'],
    ['DELETE', '/todos/', 'GET, HEAD, POST'],
    ['DELETE', '/todos', 'GET, HEAD, POST'],
    ['POST', '/todos/0b7f8a3e-2f4c-4a53-9a43-1f2e3d4c5b6a', 'DELETE, GET, HEAD, PATCH, PUT'],
    ['PUT', '/healthz', 'GET, HEAD'],
    ['GET', '/auth/backchannel-logout', 'POST'],
    ['PATCH', '/%74odos/', 'GET, HEAD, POST'],
  ])(
    'answers %s %s with 405, the Allow header and problem details, without a token',
    async (method, url, allow) => {
      const response = await h.app.inject({ method: method as 'GET', url });
      expect(response.statusCode).toBe(405);
      // RFC 9110 §15.5.6: a 405 carries Allow.
      expect(response.headers.allow).toBe(allow);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 405, code: 'method_not_allowed' });
    },
  );

  it('writes nothing: a DELETE on the collection leaves every todo in place', async () => {
    const created = await h.as('alice', {
      method: 'POST',
      url: '/todos/',
      payload: { title: 'x' },
    });
    expect(created.statusCode).toBe(201);
    expect((await h.as('alice', { method: 'DELETE', url: '/todos/' })).statusCode).toBe(405);
    const list = await h.as('alice', { method: 'GET', url: '/todos/' });
    expect(list.json().items).toHaveLength(1);
  });

  it.each([
    ['GET', '/nope'],
    ['POST', '/todos/a/b'],
    ['GET', '/ADMIN/audit'],
  ])('still answers %s %s, an unknown path, with 404 route_not_found', async (method, url) => {
    const response = await h.app.inject({ method: method as 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.headers.allow).toBeUndefined();
    expect(response.json()).toMatchObject({ status: 404, code: 'route_not_found' });
  });
});
