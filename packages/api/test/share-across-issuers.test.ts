import type { TestUser } from '@todo-sso/auth/testing';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startInstance, testConfig, useIssuer } from './support/harness.js';

/**
 * With several issuers (`OIDC_ISSUERS`) a username names a person of the sharer's own identity
 * provider only (OpenID Connect Core §5.7: `preferred_username` is not unique, and must not be
 * relied upon across issuers; §2: a `sub` is unique within its issuer), so a list shared by the
 * username of a colleague who has not used the app yet never goes to another provider's
 * namesake. People of another provider are named by the email their provider verified.
 */
describe.each(drivers)('sharing across identity providers on $driver', (driver) => {
  const database = useTestDatabase(driver);
  const home = useIssuer(driver.skip, { profile: 'keycloak' });
  const partner = useIssuer(driver.skip, { profile: 'keycloak' });
  const api = suiteFixture(
    driver.skip,
    () => {
      const issuers = [home, partner].map((idp) => ({
        issuer: idp.issuer,
        provider: 'keycloak',
        audience: 'todo-api',
      }));
      const env = { OIDC_ISSUERS: JSON.stringify(issuers) };
      return startInstance(testConfig(home, database.config, env));
    },
    (instance) => instance.close(),
  );
  const permissions = ['todos:read', 'todos:write'];
  const person = (sub: string, username: string, email?: string): TestUser => ({
    sub,
    username,
    roles: ['user'],
    permissions,
    ...(email !== undefined && { email }),
  });
  const alice = person('alice-home', 'alice', 'alice@home.example');
  // The partner provider's pat; the home provider's pat has not used the app yet.
  const partnerPat = person('pat-partner', 'pat', 'pat@partner.example');
  const homePat = person('pat-home', 'pat', 'pat@home.example');

  const call = async (
    token: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) =>
    api.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload && { payload }),
    });
  /** A token of `user` at `idp`, the person made known to the API (they used their lists). */
  const known = async (idp: typeof home, user: TestUser, claims: Record<string, unknown> = {}) => {
    const token = await idp.accessToken(user, { claims });
    expect((await call(token, 'GET', '/lists/')).statusCode).toBe(200);
    return token;
  };
  const newList = async (token: string) => {
    const res = await call(token, 'POST', '/lists/', { name: 'Plans' });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const members = async (token: string, list: string) =>
    (await call(token, 'GET', `/lists/${list}/members`))
      .json()
      .map((m: { sub: string; relation: string }) => `${m.sub} ${m.relation}`);
  const share = (token: string, list: string, handle: string, relation = 'editor') =>
    call(token, 'PUT', `/lists/${list}/members/${encodeURIComponent(handle)}`, { relation });

  it("never shares by username with another provider's namesake, and its 404 does not tell that one exists", async () => {
    const aliceToken = await known(home, alice);
    const patToken = await known(partner, partnerPat);
    const list = await newList(aliceToken);
    const res = await share(aliceToken, list, 'pat');
    expect(res.statusCode).toBe(404);
    const nobody = await share(aliceToken, list, 'nobody-here');
    expect(nobody.statusCode).toBe(404);
    expect(res.json().detail).toBe(nobody.json().detail.replace('nobody-here', 'pat'));
    expect(res.json().detail).toMatch(
      /; a username names a person of your own identity provider only: name a person of another identity provider by their email, once their provider says it is verified \(email_verified\)$/,
    );
    expect(await members(aliceToken, list)).toEqual(['alice-home owner']);
    expect((await call(patToken, 'GET', `/lists/${list}`)).statusCode).toBe(404);
    // Removing names nobody either: pat of the partner provider is no member of the list.
    const removed = await call(aliceToken, 'DELETE', `/lists/${list}/members/pat`);
    expect(removed.statusCode).toBe(404);
    expect(removed.json().detail).toBe(res.json().detail);
  });

  it('shares with a person of another provider by their verified email, and keeps them reachable by the username the members show', async () => {
    const aliceToken = await known(home, alice);
    const patToken = await known(partner, partnerPat);
    const list = await newList(aliceToken);
    const shared = await share(aliceToken, list, 'pat@partner.example');
    expect(shared.statusCode).toBe(200);
    expect(shared.json()).toEqual({ sub: 'pat-partner', username: 'pat', relation: 'editor' });
    expect((await call(patToken, 'GET', `/lists/${list}`)).statusCode).toBe(200);
    // The home provider's pat uses the app now: a new share by username reaches him.
    const homeToken = await known(home, homePat);
    const other = await share(aliceToken, await newList(aliceToken), 'pat');
    expect(other.json()).toEqual({ sub: 'pat-home', username: 'pat', relation: 'editor' });
    // On the list the partner's pat is a member of, `pat` names that member: the relation
    // changes for him, and the home pat is given nothing.
    const changed = await share(aliceToken, list, 'pat', 'viewer');
    expect(changed.json()).toEqual({ sub: 'pat-partner', username: 'pat', relation: 'viewer' });
    expect((await call(homeToken, 'GET', `/lists/${list}`)).statusCode).toBe(404);
    expect(await members(aliceToken, list)).toEqual(['alice-home owner', 'pat-partner viewer']);
    const removed = await call(aliceToken, 'DELETE', `/lists/${list}/members/pat`);
    expect(removed.statusCode).toBe(204);
    expect(await members(aliceToken, list)).toEqual(['alice-home owner']);
    expect((await call(patToken, 'GET', `/lists/${list}`)).statusCode).toBe(404);
  });

  it('finds nobody of another provider by an email it has not verified, and keeps the rule for two answering', async () => {
    const aliceToken = await known(home, alice);
    await known(partner, person('uma-partner', 'uma', 'uma@partner.example'), {
      email_verified: false,
    });
    const list = await newList(aliceToken);
    expect((await share(aliceToken, list, 'uma@partner.example')).statusCode).toBe(404);
    // Verified at the partner provider by two people: neither is given the list.
    await known(partner, person('dup-1', 'dup1', 'desk@partner.example'));
    await known(partner, person('dup-2', 'dup2', 'desk@partner.example'));
    const twice = await share(aliceToken, list, 'desk@partner.example');
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'conflict' });
    // Verified at both providers: the sharer's own provider's person, as before.
    await known(partner, person('vic-partner', 'vic', 'vic@shared.example'));
    await known(home, person('vic-home', 'vic', 'vic@shared.example'));
    const both = await share(aliceToken, list, 'VIC@shared.example');
    expect(both.json()).toEqual({ sub: 'vic-home', username: 'vic', relation: 'editor' });
    expect(await members(aliceToken, list)).toEqual(['alice-home owner', 'vic-home editor']);
  });
});
