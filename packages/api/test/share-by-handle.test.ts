import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { drivers } from './support/databases.js';
import { type Harness, useHarness } from './support/harness.js';

/**
 * Sharing names the person by username or email. An email is the person's own to type at most
 * identity providers (and unverified until they prove it), so a handle that more than one person
 * answers to must not reach whichever of them the database returns first.
 */
describe.each(drivers)('sharing by username or email on $driver', (driver) => {
  const h: Harness = useHarness(driver);
  const permissions = ['todos:read', 'todos:write'];
  const bob = { sub: 'bob-0000-real', username: 'bob', email: 'bob@example.com', permissions };
  // Mallory typed bob's address as her own and signed in first.
  const mallory = {
    sub: 'mallory-000-claims-bob',
    username: 'mallory',
    email: 'Bob@Example.com',
    permissions,
  };

  const signIn = async (user: Omit<typeof bob, 'sub'> & { sub: string }) => {
    const token = await h.idp.accessToken(user);
    const res = await h.app.inject({
      url: '/lists/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    return token;
  };

  const newList = async () => {
    const res = await h.as('alice', { method: 'POST', url: '/lists/', payload: { name: 'Plans' } });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };

  const share = (list: string, handle: string) =>
    h.as('alice', {
      method: 'PUT',
      url: `/lists/${list}/members/${encodeURIComponent(handle)}`,
      payload: { relation: 'editor' },
    });

  it('refuses an email that two people answer to (409), sharing with neither', async () => {
    const malloryToken = await signIn(mallory);
    await signIn(bob);
    const list = await newList();
    const res = await share(list, 'bob@example.com');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'conflict' });
    // Mallory was not given the list.
    const seen = await h.app.inject({
      url: `/lists/${list}`,
      headers: { authorization: `Bearer ${malloryToken}` },
    });
    expect(seen.statusCode).toBe(404);
    const members = await h.as('alice', { url: `/lists/${list}/members` });
    expect(members.json().map((m: { username: string }) => m.username)).toEqual(['alice']);
  });

  it('folds the case of an email’s ASCII letters only, alike on every engine', async () => {
    // Unicode case mapping belongs to the database's locale (PostgreSQL's `lower` maps `É` to
    // `é` and the Kelvin sign `K` to an ASCII `k`; SQLite's maps ASCII only), so a handle must
    // not reach someone on one engine and nobody on the other.
    await signIn({ sub: 'emile-0000', username: 'emile', email: 'ÉMILE@Example.com', permissions });
    await signIn({
      sub: 'kelvin-000',
      username: 'kfan',
      email: '\u212Aate@example.com',
      permissions,
    });
    await signIn({
      sub: 'inci-00000',
      username: 'inci',
      email: '\u0130nci@example.com',
      permissions,
    });
    const answers: Record<string, string> = {};
    for (const handle of [
      'ÉMILE@EXAMPLE.COM',
      'Émile@example.com',
      'émile@example.com',
      'kate@example.com',
      '\u212Aate@EXAMPLE.com',
      'inci@example.com',
    ]) {
      const res = await share(await newList(), handle);
      answers[handle] = res.statusCode === 200 ? res.json().sub : String(res.statusCode);
    }
    expect(answers).toEqual({
      'ÉMILE@EXAMPLE.COM': 'emile-0000',
      'Émile@example.com': 'emile-0000',
      'émile@example.com': '404',
      'kate@example.com': '404',
      '\u212Aate@EXAMPLE.com': 'kelvin-000',
      'inci@example.com': '404',
    });
  });

  it('finds nobody by an email the provider has not verified (OIDC Core §5.7)', async () => {
    // Eve typed carl's address at a provider that does not check it and signed in before him;
    // `email_verified` false, or a string instead of the JSON boolean, vouches for nothing.
    const eve = { sub: 'eve-0000-unverified', username: 'eve', permissions };
    for (const [sub, verified] of [
      [eve.sub, false],
      ['eve-0001-string', 'true'],
    ] as const) {
      const token = await h.idp.accessToken(
        { ...eve, sub, email: 'carl@example.com' },
        { claims: { email_verified: verified } },
      );
      const res = await h.app.inject({
        url: '/lists/',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
    }
    const list = await newList();
    const before = await share(list, 'carl@example.com');
    expect(before.statusCode).toBe(404);
    // The refusal says why an address may name nobody, and what names the person instead.
    expect(before.json().detail).toMatch(
      /^No person known as carl@example\.com: .*signing in alone is not enough; and an email address names a person only when their identity provider says it is verified \(email_verified\), so name them by their username if theirs is not$/,
    );
    const members = await h.as('alice', { url: `/lists/${list}/members` });
    expect(members.json().map((m: { username: string }) => m.username)).toEqual(['alice']);
    // Carl signs in with his verified address: the handle names him, and only him.
    await signIn({
      sub: 'carl-0000-real',
      username: 'carl',
      email: 'carl@example.com',
      permissions,
    });
    const after = await share(list, 'carl@example.com');
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ sub: 'carl-0000-real', username: 'carl', relation: 'editor' });
  });

  it('does not know someone who only signed in, and its 404 says how a person becomes known', async () => {
    const dana = { sub: 'dana-0000-new', username: 'dana', email: 'dana@example.com', permissions };
    const token = await h.idp.accessToken(dana);
    const me = await h.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(200);
    const list = await newList();
    const res = await share(list, 'dana');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      code: 'not_found',
      detail:
        'No person known as dana: the API knows a person once they have used their todos or lists (in the web app, with the todo command or through an assistant); signing in alone is not enough',
    });
    await signIn(dana);
    expect((await share(list, 'dana')).statusCode).toBe(200);
  });

  it('answers with the person shared with, not a namesake sub of another issuer', async () => {
    // Two issuers may issue the same `sub` (two realms imported from one export): the list
    // already holds the other issuer's one, with a username sorting first.
    const { db } = h.context;
    const other = { issuer: 'https://other.example/realms/copy', subject: bob.sub };
    await ownerRepository(db).touch(
      { ...other, username: 'aaron', email: null, department: null },
      new Date(),
    );
    await signIn(bob);
    const list = await newList();
    await listRepository(db).setMember(list, other, 'editor', new Date(), db.kysely);
    const res = await share(list, 'bob');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sub: bob.sub, username: 'bob', relation: 'editor' });
  });

  it("finds a username among the people of the sharer's own issuer only, and its 404 tells nothing of the others", async () => {
    // OpenID Connect Core §5.7: a username is not unique across issuers, so erin of a partner
    // provider is not the erin of alice's provider who has not used the app yet.
    const { db } = h.context;
    const elsewhere = { issuer: 'https://partner.example/realms/todo', subject: 'erin-partner' };
    await ownerRepository(db).touch(
      { ...elsewhere, username: 'erin', email: null, department: null },
      new Date(),
    );
    const list = await newList();
    const first = await share(list, 'erin');
    expect(first.statusCode).toBe(404);
    const nobody = await share(list, 'nobody-here');
    // One issuer configured: no word on other providers, the same answer as for nobody.
    expect(first.json().detail).toBe(nobody.json().detail.replace('nobody-here', 'erin'));
    expect(first.json().detail).not.toMatch(/provider/);
    const members = await h.as('alice', { url: `/lists/${list}/members` });
    expect(members.json().map((m: { username: string }) => m.username)).toEqual(['alice']);
    await signIn({ sub: 'erin-home', username: 'erin', email: 'erin@example.com', permissions });
    const second = await share(list, 'erin');
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ sub: 'erin-home', username: 'erin', relation: 'editor' });
  });

  it('tells a caller who holds nothing on a list nothing of who the API knows (DELETE …/members/{handle})', async () => {
    // Removing a member names them by handle too: asked of a list the caller cannot see, or of
    // no list at all, the answer must not depend on whether someone answers to the handle, or
    // anyone could learn whose address or username uses the app without sharing anything.
    await signIn(bob);
    const list = await newList();
    const remove = (id: string, handle: string) =>
      h.as('carol', {
        method: 'DELETE',
        url: `/lists/${id}/members/${encodeURIComponent(handle)}`,
      });
    for (const id of [list, '00000000-0000-4000-8000-00000000dead']) {
      const known = await remove(id, 'bob');
      const unknown = await remove(id, 'nobody-here');
      expect(known.statusCode, id).toBe(404);
      expect(unknown.statusCode, id).toBe(404);
      expect(unknown.json().detail, id).toBe(known.json().detail);
    }
    // bob is still known: sharing with him (as the list's owner) reaches him.
    expect((await share(list, 'bob')).statusCode).toBe(200);
  });

  it('shares by the username, which names one person', async () => {
    const list = await newList();
    const res = await share(list, 'bob');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sub: bob.sub, relation: 'editor' });
  });
});
