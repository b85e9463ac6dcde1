import { alice } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { sqliteDriver, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness } from './support/harness.js';

/**
 * RFC 9728 protected resource metadata of the API and of `/mcp`: §2 field names and types,
 * §3.1 the document at the well-known URL formed from the resource identifier, §3.3 the
 * `resource` identical to the identifier the URL was formed from, and every authorization
 * server's own metadata naming itself as `issuer` (RFC 8414 §3.3).
 */
const FIELDS = new Set([
  'resource',
  'authorization_servers',
  'jwks_uri',
  'scopes_supported',
  'bearer_methods_supported',
  'resource_signing_alg_values_supported',
  'resource_name',
  'resource_documentation',
  'resource_policy_uri',
  'resource_tos_uri',
  'tls_client_certificate_bound_access_tokens',
  'authorization_details_types_supported',
  'dpop_signing_alg_values_supported',
  'dpop_bound_access_tokens_required',
  'signed_metadata',
]);

/** RFC 9728 §3.1: the well-known URI inserted between the host and the resource's path. */
function metadataUrlOf(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

function useMetadataHarness(env: Record<string, string>): Harness {
  const database = useTestDatabase(sqliteDriver);
  return suiteFixture(
    false,
    () => startHarness(database.config, env),
    (h) => h.close(),
  );
}

function checkFields(doc: Record<string, unknown>): void {
  expect(Object.keys(doc).filter((k) => !FIELDS.has(k))).toEqual([]);
  expect(typeof doc.resource).toBe('string');
  for (const key of Object.keys(doc).filter(
    (k) => k.endsWith('_supported') || k === 'authorization_servers',
  )) {
    expect(Array.isArray(doc[key]), key).toBe(true);
    expect(
      (doc[key] as unknown[]).every((v) => typeof v === 'string'),
      key,
    ).toBe(true);
  }
  // RFC 9728 §2: the resource identifier is an https (here http for loopback) URL, no fragment.
  expect(new URL(doc.resource as string).hash).toBe('');
}

describe.each<{ name: string; env: Record<string, string>; host: string; base: string }>([
  {
    name: 'behind a proxy (API_PUBLIC_URL)',
    env: { API_PUBLIC_URL: 'https://todo.example.com' },
    host: 'internal:8000',
    base: 'https://todo.example.com',
  },
  {
    name: 'at the loopback address it is called by',
    env: {},
    host: 'localhost:8000',
    base: 'http://localhost:8000',
  },
])('protected resource metadata $name', ({ env, host, base }) => {
  const h = useMetadataHarness(env);
  const fetchDoc = async (url: string) => {
    const res = await h.app.inject({ url, headers: { host } });
    expect(res.statusCode, url).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.json() as Record<string, unknown>;
  };

  for (const [label, resource] of [
    ['the API', base],
    ['the MCP endpoint', `${base}/mcp`],
  ] as const) {
    it(`serves ${label}'s document at the URL formed from its identifier, naming that identifier`, async () => {
      const url = new URL(metadataUrlOf(resource));
      const doc = await fetchDoc(url.pathname);
      checkFields(doc);
      expect(doc.resource).toBe(resource);
      expect(doc.authorization_servers).toEqual([h.idp.issuer]);
      expect(doc.bearer_methods_supported).toEqual(['header']);
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid']));
      // DPoP is allowed by default: its algorithms are advertised, bound tokens not required.
      expect(doc.dpop_signing_alg_values_supported).toEqual(
        expect.arrayContaining(['ES256', 'RS256']),
      );
      expect(doc.dpop_bound_access_tokens_required).toBe(false);
    });
  }

  it('names authorization servers whose own metadata names the same issuer (RFC 8414 §3.3)', async () => {
    const doc = await fetchDoc('/.well-known/oauth-protected-resource');
    for (const issuer of doc.authorization_servers as string[]) {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      expect(((await res.json()) as { issuer: string }).issuer).toBe(issuer);
    }
  });

  it('points every 401 challenge at the metadata of the resource refused', async () => {
    const api = await h.app.inject({ url: '/todos/', headers: { host } });
    expect(api.headers['www-authenticate']).toContain(`resource_metadata="${metadataUrlOf(base)}"`);
    const mcp = await h.app.inject({ method: 'POST', url: '/mcp', headers: { host } });
    expect(mcp.headers['www-authenticate']).toContain(
      `resource_metadata="${metadataUrlOf(`${base}/mcp`)}"`,
    );
    const expired = await h.idp.accessToken(alice, { expiresInSec: -120 });
    const stale = await h.app.inject({
      url: '/me',
      headers: { host, authorization: `Bearer ${expired}` },
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.headers['www-authenticate']).toMatch(
      new RegExp(`error="invalid_token".*resource_metadata="${metadataUrlOf(base)}"`),
    );
  });
});

describe('protected resource metadata called with the default port written out', () => {
  const h = useMetadataHarness({});

  it('names the resource as a client writes its URL, without the default port', async () => {
    const headers = { host: 'LocalHost:80' };
    const doc = await h.app.inject({ url: '/.well-known/oauth-protected-resource/mcp', headers });
    expect(doc.json().resource).toBe('http://localhost/mcp');
    const token = await h.idp.accessToken(alice, { claims: { aud: 'http://localhost/mcp' } });
    const res = await h.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...headers,
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      payload: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('API_PUBLIC_URL written with capitals, the default port and a trailing slash', () => {
  const h = useMetadataHarness({ API_PUBLIC_URL: 'https://Todo.Example.COM:443/' });

  it('names and accepts the identifier as a client writes the URL (RFC 3986 §6.2.2, §6.2.3)', async () => {
    // The MCP SDK and oauth4webapi send `resource` (RFC 8707) in the WHATWG form of the URL, so
    // that is the audience of the tokens the client gets and what the metadata must name.
    const doc = await h.app.inject({ url: '/.well-known/oauth-protected-resource/mcp' });
    expect(doc.json().resource).toBe('https://todo.example.com/mcp');
    const api = await h.app.inject({ url: '/.well-known/oauth-protected-resource' });
    expect(api.json().resource).toBe('https://todo.example.com');
    const refused = await h.app.inject({ method: 'POST', url: '/mcp' });
    expect(refused.headers['www-authenticate']).toContain(
      'resource_metadata="https://todo.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    const token = await h.idp.accessToken(alice, {
      claims: { aud: 'https://todo.example.com/mcp' },
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      payload: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe('protected resource metadata of an API_PUBLIC_URL with a path', () => {
  const h = useMetadataHarness({ API_PUBLIC_URL: 'https://example.com/todo' });

  it('serves each document at the URL formed from its identifier (RFC 9728 §3.1), which its challenges name', async () => {
    for (const resource of ['https://example.com/todo', 'https://example.com/todo/mcp']) {
      const url = new URL(metadataUrlOf(resource));
      expect(url.pathname).toMatch(/^\/\.well-known\/oauth-protected-resource\/todo/);
      const res = await h.app.inject({ url: url.pathname });
      expect(res.statusCode, url.pathname).toBe(200);
      expect(res.json().resource).toBe(resource);
    }
    const mcp = await h.app.inject({ method: 'POST', url: '/mcp' });
    expect(mcp.headers['www-authenticate']).toContain(
      `resource_metadata="${metadataUrlOf('https://example.com/todo/mcp')}"`,
    );
    // Documented once, at the root path.
    const paths = Object.keys((await h.app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths.filter((p) => p.startsWith('/.well-known/oauth-protected-resource'))).toEqual([
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]);
  });
});

describe('protected resource metadata with DPoP off', () => {
  const h = useMetadataHarness({ OIDC_DPOP: 'off', API_PUBLIC_URL: 'https://todo.example.com' });

  it('advertises no DPoP algorithms', async () => {
    const doc = (await h.app.inject({ url: '/.well-known/oauth-protected-resource' })).json();
    expect(doc.dpop_signing_alg_values_supported).toBeUndefined();
    expect(doc.dpop_bound_access_tokens_required).toBeUndefined();
  });
});

/**
 * RFC 9111 §4.1 / RFC 9110 §12.5.5: the documents are cached publicly for five minutes, keyed by
 * their URL. Behind trusted proxies and without `API_PUBLIC_URL`, whether there is a document at
 * all depends on `X-Forwarded-Host` and `-Proto` (a forwarded request has no resource identifier
 * unless configured), which are no part of that key: the answer must say it varies with them.
 */
describe.each<{ name: string; env: Record<string, string>; varies: boolean }>([
  { name: 'from the loopback address', env: { TRUST_PROXY: '1' }, varies: true },
  {
    name: 'from API_PUBLIC_URL',
    env: { TRUST_PROXY: '1', API_PUBLIC_URL: 'https://todo.example.com' },
    varies: false,
  },
])('protected resource metadata in shared caches, base $name', ({ env, varies }) => {
  const h = useMetadataHarness(env);
  it(
    varies ? 'varies with the forwarded host and protocol' : 'does not vary with them',
    async () => {
      for (const path of ['', '/mcp']) {
        const res = await h.app.inject({
          url: `/.well-known/oauth-protected-resource${path}`,
          headers: varies
            ? { host: 'localhost:8000' }
            : {
                host: 'internal:8000',
                'x-forwarded-host': 'a.example',
                'x-forwarded-proto': 'https',
              },
        });
        expect(res.headers['cache-control']).toBe('public, max-age=300');
        const vary = String(res.headers.vary ?? '')
          .toLowerCase()
          .split(/\s*,\s*/);
        expect(vary).toContain('origin');
        expect(res.json().resource).toBe(
          varies ? `http://localhost:8000${path}` : `https://todo.example.com${path}`,
        );
        if (varies)
          expect(vary).toEqual(expect.arrayContaining(['x-forwarded-host', 'x-forwarded-proto']));
        else expect(vary).not.toContain('x-forwarded-host');
      }
    },
  );
});
