import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOf, realmJson, startTestIdp, type TestIdp } from './helpers.js';

/** A secret whose form encoding needs both `+` (space) and `%2B` (plus). */
const SECRET = 'todo api+secret';

describe('client authentication on the dev IdP’s own endpoints (RFC 6749 §2.3.1)', () => {
  let idp: TestIdp;
  beforeAll(async () => {
    const realm = realmJson();
    clientOf(realm, 'todo-api').secret = SECRET;
    idp = await startTestIdp({ realm });
  });
  afterAll(() => idp.close());

  const introspect = (credentials: string) =>
    fetch(`${idp.issuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      },
      body: new URLSearchParams({ token: 'unknown-token' }),
    });

  it.each(['%ZZ:x', 'todo-api:%E0%A4%A', 'todo-api:%'])(
    'answers malformed Basic credentials %j with 401 as Keycloak does, never 500',
    async (credentials) => {
      const res = await introspect(credentials);
      expect(res.status).toBe(401);
      // Keycloak's introspection endpoint words every failed client authentication this way.
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        error_description: 'Authentication failed.',
      });
    },
  );

  it.each([
    ['with + for the space', 'todo-api:todo+api%2Bsecret'],
    ['with %20 for the space', 'todo-api:todo%20api%2Bsecret'],
  ])('decodes form-urlencoded Basic credentials %s', async (_name, credentials) => {
    const res = await introspect(credentials);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
  });

  it('refuses the secret when its + is taken literally', async () => {
    expect((await introspect('todo-api:todo+api+secret')).status).toBe(401);
  });
});
