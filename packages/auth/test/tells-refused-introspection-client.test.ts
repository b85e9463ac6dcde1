import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

/**
 * RFC 6749 §5.2: a provider may answer failed client authentication with 400 `invalid_client`
 * (401 is required only for HTTP Basic, which some providers do not follow). The test issuer's
 * discovery is real HTTP; its introspection endpoint is answered with the status and body given.
 */
describe('an introspection endpoint answering 400', () => {
  let idp: TestIssuer;
  beforeEach(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
  });
  afterEach(() => idp.close());

  const answering = (body: object) =>
    createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect' })],
      httpTimeoutMs: 500,
      fetch: async (input, init) =>
        String(input).includes('introspect')
          ? new Response(JSON.stringify(body), {
              status: 400,
              headers: { 'content-type': 'application/json' },
            })
          : fetch(input, init),
    });

  test('invalid_client is the client refused: said so, and the issuer is not ready', async () => {
    const auth = answering({ error: 'invalid_client' });
    const refused = await expectAuthFailure(
      auth.authenticate(await idp.opaqueToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(refused.description).toMatch(/^The identity provider refuses the API's client/);
    expect(await auth.ready()).toBe(false);
    expect(auth.status()[0]).toMatchObject({
      usable: false,
      clientRefusedSince: expect.any(Number),
    });
  });

  test('another error is not a refusal of the client: unavailable, and readiness unchanged', async () => {
    const auth = answering({ error: 'invalid_request' });
    const failed = await expectAuthFailure(
      auth.authenticate(await idp.opaqueToken(alice)),
      'idp_unavailable',
      503,
    );
    expect(failed.description).toBe('The token introspection endpoint is unavailable');
    expect(await auth.ready()).toBe(true);
    expect(auth.status()[0]).not.toHaveProperty('clientRefusedSince');
  });
});
