import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from '@todo-sso/auth';
import { diagnose } from '@todo-sso/auth/diagnose';
import { alice } from '@todo-sso/auth/testing';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * An issuer served over TLS (`https://idp.example`, reached here through a fetch that stands in
 * for the TLS hop) whose metadata advertises its introspection endpoint and JWKS over plain HTTP
 * (a real server on 127.0.0.1). RFC 7662 §2.1/§4: the introspection endpoint MUST be protected by
 * TLS, since the call carries the client secret and the token; RFC 8414 §2 / OIDC Discovery §3:
 * `jwks_uri` is the TLS-protected source of the keys every token is trusted by.
 */
const ISSUER = 'https://idp.example';
let server: ReturnType<typeof createServer>;
let plain: string;
let posts: { authorization?: string | undefined; body: string }[];
let plainTokenEndpointOnly = false;

beforeEach(async () => {
  posts = [];
  plainTokenEndpointOnly = false;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(
          JSON.stringify({
            issuer: ISSUER,
            // The doctor's test: keys and introspection over TLS, the token endpoint in the clear.
            introspection_endpoint: plainTokenEndpointOnly
              ? `${ISSUER}/introspect`
              : `${plain}/introspect`,
            jwks_uri: plainTokenEndpointOnly ? `${ISSUER}/jwks` : `${plain}/jwks`,
            token_endpoint: `${plain}/token`,
          }),
        );
      } else if (req.url === '/token') {
        posts.push({ authorization: req.headers.authorization, body });
        res.end(JSON.stringify({ access_token: 'x', token_type: 'Bearer', expires_in: 60 }));
      } else if (req.url === '/introspect') {
        posts.push({ authorization: req.headers.authorization, body });
        const exp = Math.floor(Date.now() / 1000) + 300;
        res.end(
          JSON.stringify({ active: true, iss: ISSUER, sub: alice.sub, aud: 'todo-api', exp }),
        );
      } else res.end(JSON.stringify({ keys: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  plain = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The TLS hop to the issuer's own origin, answered by the local server. */
const viaTls: typeof fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  return fetch(url.startsWith(ISSUER) ? plain + url.slice(ISSUER.length) : url, init);
};

test('never sends the client secret or a token to an introspection endpoint without TLS (RFC 7662 §4)', async () => {
  const auth = createAuthenticator({
    issuers: [
      {
        issuer: ISSUER,
        audience: 'todo-api',
        verify: 'introspect',
        clientId: 'todo-api',
        clientSecret: 'todo-api-secret',
      },
    ],
    fetch: viaTls,
  });
  await expectAuthFailure(auth.authenticate('opaque-token-value'), 'idp_unavailable', 503);
  expect(posts).toEqual([]);
  expect(await auth.ready()).toBe(false);
});

test('does not load an https issuer’s keys from a plain-HTTP jwks_uri', async () => {
  const auth = createAuthenticator({
    issuers: [{ issuer: ISSUER, audience: 'todo-api' }],
    fetch: viaTls,
  });
  expect(await auth.ready()).toBe(false);
  expect(auth.status()[0]?.lastError).toMatch(/jwks_uri .* not protected by TLS/);
});

test('the doctor never sends the API client secret to a token endpoint without TLS (RFC 6749 §2.3.1)', async () => {
  // The doctor rehearses the API's client credentials grant against the provider's advertised
  // token endpoint: an https issuer advertising it over plain HTTP gets no secret.
  plainTokenEndpointOnly = true;
  const diagnosis = await diagnose({
    issuers: [
      {
        issuer: ISSUER,
        audience: 'todo-api',
        profile: 'keycloak',
        clientId: 'todo-api',
        clientSecret: 'todo-api-secret',
      },
    ],
    fetch: viaTls,
  });
  expect(posts).toEqual([]);
  expect(JSON.stringify(diagnosis)).not.toContain('todo-api-secret');
});
