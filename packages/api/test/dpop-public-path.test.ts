import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { dpopKey } from './support/dpop.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';

/**
 * RFC 9449 §4.3 step 9 behind a proxy that serves the API under a path of API_PUBLIC_URL
 * (`https://todo.example.com/todo/me` reaching the API as `/me`): a client's proof names the URI
 * it used, path included, and is checked against it.
 */
describe('DPoP proofs behind a proxy serving the API under a path', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () =>
      startHarness(database.config, {
        API_PUBLIC_URL: 'https://todo.example.com/todo',
        TRUST_PROXY: '127.0.0.1',
      }),
    (harness) => harness.close(),
  );
  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example.com' };

  it('accepts a proof for the URI the client used and refuses one for the path the API sees', async () => {
    const key = await dpopKey();
    const token = await h.idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
    const call = async (htu: string) =>
      h.app.inject({
        url: '/me?view=full',
        headers: {
          ...proxied,
          authorization: `DPoP ${token}`,
          dpop: await key.proof({ htu, token }),
        },
      });
    const used = await call('https://todo.example.com/todo/me');
    expect(used.statusCode, used.body).toBe(200);
    expect(used.json().sub).toBe(alice.sub);
    const stripped = await call('https://todo.example.com/me');
    expect(stripped.statusCode).toBe(401);
    expect(stripped.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    expect(stripped.json().detail).toMatch(/htu/);
  });

  // A client on the API's machine calling it directly at its loopback address (the CLI on the
  // server, `todo doctor`) uses the API's own URI, which has no proxy's path in front.
  it('accepts a direct loopback request proved for the URI it used, without the proxy path', async () => {
    const key = await dpopKey();
    const token = await h.idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
    const call = async (htu: string) =>
      h.app.inject({
        url: '/me',
        headers: {
          host: '127.0.0.1:8000',
          authorization: `DPoP ${token}`,
          dpop: await key.proof({ htu, token }),
        },
      });
    const direct = await call('http://127.0.0.1:8000/me');
    expect(direct.statusCode, direct.body).toBe(200);
    const withPath = await call('http://127.0.0.1:8000/todo/me');
    expect(withPath.statusCode).toBe(401);
    expect(withPath.json().detail).toMatch(/htu/);
  });

  // RFC 9449 §4.3 step 9, §11.1: a proof names the server it was made for. A server the client
  // was led to (a wrong API URL, a malicious MCP server) that received its token and proofs must
  // not replay them here by writing its own name in Host or X-Forwarded-Host (as RFC 9728 §7.3
  // keeps Host from choosing the audience): with API_PUBLIC_URL, that is the API's name.
  it.each<[string, Record<string, string>]>([
    ['a forwarded host', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }],
    ['a Host field', { host: 'evil.example' }],
  ])('refuses a proof made for another server named in %s', async (_, headers) => {
    const key = await dpopKey();
    const token = await h.idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
    const htu = `${headers['x-forwarded-proto'] ?? 'http'}://evil.example/todo/me`;
    const res = await h.app.inject({
      url: '/me',
      headers: {
        ...headers,
        authorization: `DPoP ${token}`,
        dpop: await key.proof({ htu, token }),
      },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    expect(res.json().detail).toMatch(/htu/);
  });
});
