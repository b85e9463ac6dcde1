import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { type Harness, startHarness, users } from './support/harness.js';

/**
 * A signed logout token whose `sid`, `sub` or `jti` PostgreSQL cannot store as sent (U+0000,
 * which its `text` cannot hold; a value too long for a b-tree index entry, about 2.7 kB) gets
 * the same answer on both engines, and it is never a 503 that every retry (§2.8) would get
 * again. OpenID Connect sets no length on `sid` nor `jti`. Fail closed: a session id that
 * cannot be stored ends all of the subject's tokens; a `jti` is remembered by its digest.
 */
describe.each(drivers)(
  'a logout token with values the database cannot store on $driver',
  (driver) => {
    const database = useTestDatabase(driver);
    const h = suiteFixture(
      driver.skip,
      () => startHarness(database.config, {}),
      (harness: Harness) => harness.close(),
    );
    const logout = (token: string) =>
      h.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ logout_token: token }).toString(),
      });
    const me = async (token: string) =>
      (await h.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } }))
        .statusCode;

    it.skipIf(driver.skip).each([
      ['a NUL in the sid', 's\u0000id', users.alice],
      ['a sid of 3200 random characters', randomBytes(2400).toString('base64'), users.carol],
    ])(
      '%s: 200, and every token of the subject issued until then is refused',
      async (_, sid, user) => {
        const session = await h.idp.accessToken(user, { sessionId: sid });
        const other = await h.idp.accessToken(user, { sessionId: 'another-session' });
        const first = await h.app.inject({
          url: '/me',
          headers: { authorization: `Bearer ${session}` },
        });
        expect(first.statusCode, first.body).toBe(200);
        const token = await h.idp.logoutToken({ sub: user.sub, sid });
        const answer = await logout(token);
        expect(answer.statusCode, answer.body).toBe(200);
        expect(await me(session)).toBe(401);
        expect(await me(other)).toBe(401);
        // The jti was claimed: the replay is refused.
        expect((await logout(token)).statusCode).toBe(400);
      },
    );

    it.skipIf(driver.skip)('a NUL in the jti: 200 once, then refused as a replay', async () => {
      const token = await h.idp.logoutToken(
        { sub: users.bob.sub, sid: 'jti-with-nul' },
        { claims: { jti: `j\u0000${randomBytes(8).toString('hex')}` } },
      );
      const answer = await logout(token);
      expect(answer.statusCode, answer.body).toBe(200);
      expect((await logout(token)).statusCode).toBe(400);
    });
  },
);
