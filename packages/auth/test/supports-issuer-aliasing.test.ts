import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

const PUBLIC = 'https://sso.example.com/realms/todo-app';

describe('issuer aliasing (keys fetched from an internal URL, tokens carry the public issuer)', () => {
  let idp: TestIssuer;
  const requested: string[] = [];
  /** Plays Keycloak with KC_HOSTNAME set: its metadata advertises public URLs only. */
  const publicHostnameFetch: typeof fetch = async (input, init) => {
    const url = String(input);
    requested.push(url);
    const res = await fetch(url, init);
    if (!url.endsWith('/.well-known/openid-configuration')) return res;
    const text = (await res.text()).replaceAll(idp.issuer, PUBLIC);
    return new Response(text, { status: res.status, headers: res.headers });
  };
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', algorithm: 'ES256' });
  });
  afterAll(() => idp.close());

  test.each([
    ['an origin', () => idp.origin],
    ['a base URL', () => idp.issuer],
    ['a full .well-known URL', () => idp.discoveryUrl],
  ])(
    'given %s as discoveryUrl, rewrites advertised public endpoints to it',
    async (_name, discoveryUrl) => {
      requested.length = 0;
      const auth = createAuthenticator({
        issuers: [
          {
            issuer: PUBLIC,
            discoveryUrl: discoveryUrl(),
            audience: 'todo-api',
            profile: 'keycloak',
          },
        ],
        fetch: publicHostnameFetch,
      });
      const token = await idp.accessToken(alice, { claims: { iss: PUBLIC } });
      await expect(auth.authenticate(token)).resolves.toMatchObject({ issuer: PUBLIC });
      expect(requested).toEqual([idp.discoveryUrl, idp.jwksUri]);
    },
  );

  test.each([
    ['with the public issuer', PUBLIC],
    ['with the same issuer', undefined],
  ])(
    'takes an RFC 8414 §3.1 path-inserted well-known URL as discoveryUrl, %s: keys load from the issuer path',
    async (_name, publicIssuer) => {
      // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path, as
      // the development identity provider serves it beside the OpenID Connect form.
      const inserted = `${idp.origin}/.well-known/oauth-authorization-server/realms/todo-app`;
      requested.length = 0;
      const issuer = publicIssuer ?? idp.issuer;
      const auth = createAuthenticator({
        issuers: [{ issuer, discoveryUrl: inserted, audience: 'todo-api', profile: 'keycloak' }],
        fetch: async (input, init) => {
          const url = String(input);
          if (url !== inserted) return publicHostnameFetch(url, init);
          requested.push(url);
          const res = await fetch(idp.discoveryUrl, init);
          const text = (await res.text()).replaceAll(idp.issuer, issuer);
          return new Response(text, { status: res.status, headers: res.headers });
        },
      });
      const token = await idp.accessToken(alice, { claims: { iss: issuer } });
      await expect(auth.authenticate(token)).resolves.toMatchObject({ issuer });
      expect(requested).toEqual([inserted, idp.jwksUri]);
    },
  );

  test('refuses metadata whose issuer is neither the public issuer nor the alias: 503 idp_unavailable', async () => {
    const auth = createAuthenticator({
      issuers: [
        { issuer: PUBLIC, discoveryUrl: idp.issuer, audience: 'todo-api', profile: 'keycloak' },
      ],
      fetch: async (input, init) => {
        const res = await fetch(String(input), init);
        const text = (await res.text()).replaceAll(
          idp.issuer,
          'https://attacker.example/realms/todo-app',
        );
        return new Response(text, { status: res.status, headers: res.headers });
      },
    });
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { claims: { iss: PUBLIC } })),
      'idp_unavailable',
      503,
    );
  });

  test('refuses unaliased metadata naming another issuer (OIDC Discovery §4.3)', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions()],
      fetch: publicHostnameFetch,
    });
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice)),
      'idp_unavailable',
      503,
    );
  });

  test('refuses metadata whose issuer differs from the configured one by a trailing slash: not ready, 503 idp_unavailable (OIDC Discovery §4.3)', async () => {
    // Both issuers share one metadata URL (§4 drops a terminating slash before appending the
    // well-known path), so only the exact comparison tells them apart.
    const withSlash = `${idp.issuer}/`;
    const auth = createAuthenticator({
      issuers: [{ issuer: withSlash, audience: 'todo-api', profile: 'keycloak' }],
    });
    expect(await auth.ready()).toBe(false);
    expect(auth.status()[0]).toMatchObject({
      usable: false,
      lastError: expect.stringMatching(/does not match/),
    });
    await expectAuthFailure(
      auth.authenticate(await idp.accessToken(alice, { claims: { iss: withSlash } })),
      'idp_unavailable',
      503,
    );
  });
});
