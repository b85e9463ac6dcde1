import { describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';

/**
 * AuthZEN 1.0 §9.2: a decision point's metadata is at its identifier with
 * `/.well-known/authzen-configuration` inserted between the host and the path, and §9.2.3 has the
 * PEP use it only when `policy_decision_point` is that identifier. With an `API_PUBLIC_URL` that
 * has a path, a proxy serving the API under that path passes the document's URL on as it is.
 */
describe('AuthZEN metadata of an API_PUBLIC_URL with a path', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { API_PUBLIC_URL: 'https://example.com/todo' }),
    (harness) => harness.close(),
  );

  it('is served, without a token, at the URL a PEP forms from the identifier', async () => {
    const identifier = 'https://example.com/todo';
    const url = new URL(identifier);
    const wellKnown = `${url.origin}/.well-known/authzen-configuration${url.pathname}`;
    const res = await h.app.inject({ url: new URL(wellKnown).pathname });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({
      policy_decision_point: identifier,
      access_evaluation_endpoint: `${identifier}/access/v1/evaluation`,
    });
    // The root path stays, and is the one the OpenAPI document shows.
    expect((await h.app.inject({ url: '/.well-known/authzen-configuration' })).statusCode).toBe(
      200,
    );
    const paths = Object.keys((await h.app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths.filter((p) => p.startsWith('/.well-known/authzen'))).toEqual([
      '/.well-known/authzen-configuration',
    ]);
  });
});

/**
 * A colon is legal in a path (RFC 3986 §3.3): the documents of `https://example.com/v1:todo` are
 * served at that path as written, not at a route pattern with a `:todo` parameter that would
 * answer for any other path beginning `/v1`.
 */
describe('discovery documents of an API_PUBLIC_URL with a colon in its path', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { API_PUBLIC_URL: 'https://example.com/v1:todo' }),
    (harness) => harness.close(),
  );

  it('serves them at the path as written, and at no other', async () => {
    const identifier = 'https://example.com/v1:todo';
    const documents = [
      ['/.well-known/authzen-configuration', 'policy_decision_point', identifier],
      ['/.well-known/oauth-protected-resource', 'resource', identifier],
      ['/.well-known/oauth-protected-resource', 'resource', `${identifier}/mcp`, '/mcp'],
    ] as const;
    for (const [wellKnown, member, value, suffix = ''] of documents) {
      const res = await h.app.inject({ url: `${wellKnown}/v1:todo${suffix}` });
      expect(res.statusCode, `${wellKnown} ${res.body}`).toBe(200);
      expect(res.json()[member]).toBe(value);
      const other = await h.app.inject({ url: `${wellKnown}/v1other${suffix}` });
      expect(other.statusCode, `${wellKnown}/v1other${suffix}`).toBe(404);
    }
  });
});

describe('discovery documents of an API_PUBLIC_URL with a percent-encoded path', () => {
  const database = useTestDatabase(sqliteDriver);
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { API_PUBLIC_URL: 'https://example.com/t%C3%A9' }),
    (harness) => harness.close(),
  );

  it('serves them at the URL a client writes from the identifier', async () => {
    for (const url of [
      '/.well-known/authzen-configuration/t%C3%A9',
      '/.well-known/oauth-protected-resource/t%C3%A9',
      '/.well-known/oauth-protected-resource/t%C3%A9/mcp',
    ])
      expect((await h.app.inject({ url })).statusCode, url).toBe(200);
  });
});

/**
 * `%25` is the `%` of the path as data (RFC 3986 §2.1): `https://example.com/a%25d` is served at
 * that path, not at `/a%d` nor at `/a%2525d`; the challenges name that metadata URL (RFC 9728
 * §5.1). (The other reserved characters percent-encoded, `%2F`, `%3A`…, `API_PUBLIC_URL`
 * refuses: `config.test.ts`.)
 */
describe('discovery documents of an API_PUBLIC_URL with a percent-encoded %', () => {
  const database = useTestDatabase(sqliteDriver);
  const path = '/a%25d';
  const identifier = `https://example.com${path}`;
  const h = suiteFixture(
    false,
    () => startHarness(database.config, { API_PUBLIC_URL: identifier }),
    (harness) => harness.close(),
  );

  it('serves them at the path as written, and at no other', async () => {
    const documents = [
      ['/.well-known/authzen-configuration', 'policy_decision_point', identifier, ''],
      ['/.well-known/oauth-protected-resource', 'resource', identifier, ''],
      ['/.well-known/oauth-protected-resource', 'resource', `${identifier}/mcp`, '/mcp'],
    ] as const;
    for (const [wellKnown, member, value, suffix] of documents) {
      const res = await h.app.inject({ url: `${wellKnown}${path}${suffix}` });
      expect(res.statusCode, `${wellKnown}${path}${suffix} ${res.body}`).toBe(200);
      expect(res.json()[member]).toBe(value);
      const other = `${wellKnown}/a%2525d${suffix}`;
      expect((await h.app.inject({ url: other })).statusCode, other).toBe(404);
    }
  });

  it('names that metadata URL in the challenges (RFC 9728 §5.1)', async () => {
    const res = await h.app.inject({ url: '/todos/' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain(
      `resource_metadata="https://example.com/.well-known/oauth-protected-resource${path}"`,
    );
  });
});
