import { createAuthenticator } from '@todo-sso/auth';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAuthorization } from '../src/fastify/bearer.js';
import { looksLikeJws } from '../src/token/decode.js';

/**
 * A JWT read from `Authorization` is matched against the compact JWS alphabet once, by the
 * header's own check; routing it then trusts that check only for a string of the very same
 * content. Any other string, including one read from the header but not JWS-shaped, is still
 * checked in full, and the header's RFC 6750 syntax is unchanged.
 */
describe('the compact JWS shape, checked once per token', () => {
  test('every b64token is read as before, JWS-shaped or not', () => {
    const cases: [string, string][] = [
      ['Bearer aaa.bbb.ccc', 'aaa.bbb.ccc'],
      ['bearer   aaa.bbb.  ', 'aaa.bbb.'],
      ['DPoP x-y_z.AbC09.', 'x-y_z.AbC09.'],
      ['Bearer abc~def+ghi/jkl==', 'abc~def+ghi/jkl=='],
      ['Bearer a.b.c=', 'a.b.c='],
      ['Bearer a.b.c.d.e', 'a.b.c.d.e'],
      ['Bearer opaque', 'opaque'],
    ];
    for (const [header, token] of cases)
      expect(parseAuthorization(header, true)?.token, header).toBe(token);
    for (const header of ['Bearer a.b.c d', 'Bearer a.b.c!', 'Bearer ', 'Bearer a.b.cé'])
      expect(() => parseAuthorization(header, true), header).toThrow(/Authorization header/);
  });

  test('only a string of the same content skips the scan', () => {
    parseAuthorization('Bearer aaaa.bbbb.cccc', false);
    // Same length, a character outside base64url: still refused.
    expect(looksLikeJws('aaaa.bbbb.ccc~')).toBe(false);
    expect(looksLikeJws('aaaa.bbbb.cc+c')).toBe(false);
    expect(looksLikeJws(['aaaa', 'bbbb', 'cccc'].join('.'))).toBe(true);
    // A b64token that is not JWS-shaped leaves nothing noted.
    parseAuthorization('Bearer aaaa.bbbb.ccc~', false);
    expect(looksLikeJws('aaaa.bbbb.ccc~')).toBe(false);
    expect(looksLikeJws('aaaa.bbbb')).toBe(false);
    expect(looksLikeJws('x'.repeat(16 * 1024 + 1))).toBe(false);
  });

  describe('authenticate after reading the header', () => {
    let idp: TestIssuer;
    beforeAll(async () => {
      idp = await startTestIssuer({ profile: 'keycloak' });
    });
    afterAll(() => idp.close());

    test('a JWT read from the header verifies; a b64token that is not a JWS is malformed', async () => {
      const authenticator = createAuthenticator({ issuers: [idp.issuerOptions()] });
      const token = await idp.accessToken(alice);
      const read = parseAuthorization(`Bearer ${token}`, false);
      await expect(authenticator.authenticate(read?.token)).resolves.toMatchObject({
        subject: alice.sub,
      });
      // `~` is b64token but not base64url: read from the header, refused when routed.
      const tilde = `${token.slice(0, 20)}~${token.slice(21)}`;
      const other = parseAuthorization(`Bearer ${tilde}`, false);
      expect(other?.token).toBe(tilde);
      await expect(authenticator.authenticate(other?.token)).rejects.toMatchObject({
        code: 'token_malformed',
      });
    });
  });
});
