import { beforeAll, describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * The AuthZEN endpoints answering with the app's own policy: the list and todo vocabulary
 * (`can_read`, `can_update`, `can_delete`, `can_share`, `can_create_todo`) decided from the
 * list memberships, the same relation table the list and todo routes enforce.
 */
describe.each(drivers)('AuthZEN with the app policy on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  let pep: string;
  let list: string;
  let todo: string;
  const user = (name: 'alice' | 'bob' | 'carol') => ({ type: 'user', id: users[name].sub });

  beforeAll(async () => {
    if (skip) return;
    pep = await h.idp.accessToken({
      sub: 'service-account-todo-api',
      username: 'service-account-todo-api',
      roles: [],
      permissions: ['authz:evaluate'],
    });
    const { db } = h.context;
    const lists = listRepository(db);
    const now = new Date();
    const alice = { issuer: h.idp.issuer, subject: users.alice.sub };
    const created = await lists.create(alice, 'Release checklist', now, db.kysely);
    await lists.setMember(
      created.id,
      { issuer: h.idp.issuer, subject: users.bob.sub },
      'editor',
      now,
      db.kysely,
    );
    await lists.setMember(
      created.id,
      { issuer: h.idp.issuer, subject: users.carol.sub },
      'viewer',
      now,
      db.kysely,
    );
    list = created.id;
    todo = (await todoRepository(db).create(alice, { title: 'tag' }, now, db.kysely, list)).id;
  });

  const post = (url: string, payload: object) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${pep}` },
      payload,
    });

  it.skipIf(skip)('decides every action for owner, editor, viewer and a stranger', async () => {
    const actions = ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'];
    const expected: Record<string, boolean[]> = {
      alice: [true, true, true, true, true],
      bob: [true, false, false, false, true],
      carol: [true, false, false, false, false],
      admin: [false, false, false, false, false],
    };
    for (const [name, decisions] of Object.entries(expected)) {
      const res = await post('/access/v1/evaluations', {
        subject: { type: 'user', id: users[name as 'alice'].sub },
        resource: { type: 'list', id: list },
        evaluations: actions.map((a) => ({ action: { name: a } })),
      });
      expect(res.statusCode).toBe(200);
      expect(
        res.json().evaluations.map((e: { decision: boolean }) => e.decision),
        name,
      ).toEqual(decisions);
    }
  });

  it.skipIf(skip)('decides todo actions through the todo’s list', async () => {
    const ask = (name: 'alice' | 'bob' | 'carol', action: string) =>
      post('/access/v1/evaluation', {
        subject: user(name),
        action: { name: action },
        resource: { type: 'todo', id: todo },
      });
    expect((await ask('bob', 'can_update')).json()).toEqual({ decision: true });
    expect((await ask('carol', 'can_read')).json()).toEqual({ decision: true });
    expect((await ask('carol', 'can_delete')).json()).toMatchObject({
      decision: false,
      context: { reason: 'relation_missing' },
    });
  });

  it.skipIf(skip)(
    'denies ids that name no list or todo, in a batch too, without an error',
    async () => {
      const res = await post('/access/v1/evaluations', {
        subject: user('alice'),
        action: { name: 'can_read' },
        evaluations: [
          { resource: { type: 'list', id: 'not-a-uuid' } },
          { resource: { type: 'todo', id: '00000000-0000-4000-8000-000000000000' } },
          { resource: { type: 'list', id: list.toUpperCase() } },
        ],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([
        false,
        false,
        true,
      ]);
      const single = await post('/access/v1/evaluation', {
        subject: user('alice'),
        action: { name: 'can_read' },
        resource: { type: 'todo', id: "x' or 1=1" },
      });
      expect(single.json()).toMatchObject({ decision: false });
      const search = await post('/access/v1/search/subject', {
        subject: { type: 'user' },
        action: { name: 'can_read' },
        resource: { type: 'list', id: 'nope' },
      });
      expect(search.json()).toEqual({ results: [] });
    },
  );

  it.skipIf(skip)(
    'answers each item of a mixed batch as it would be answered alone (§7: defaults, per-item overrides)',
    async () => {
      const bobReading = { ...user('bob'), properties: { permissions: ['todos:read'] } };
      const otherIssuer = { ...user('alice'), properties: { issuer: 'https://other.test/realm' } };
      const items = [
        {},
        { subject: user('carol') },
        { subject: user('carol'), action: { name: 'can_read' } },
        { subject: bobReading, action: { name: 'can_create_todo' } },
        { subject: user('bob'), action: { name: 'can_create_todo' } },
        { subject: bobReading, action: { name: 'can_read' } },
        { resource: { type: 'todo', id: todo } },
        { subject: user('carol'), resource: { type: 'todo', id: todo } },
        { subject: otherIssuer },
        { subject: { type: 'agent', id: users.alice.sub } },
        { action: { name: 'can_share' }, resource: { type: 'todo', id: todo } },
        { subject: user('carol'), action: { name: 'can_delete' } },
        {},
      ];
      const defaults = {
        subject: user('alice'),
        action: { name: 'can_delete' },
        resource: { type: 'list', id: list },
      };
      const batch = await post('/access/v1/evaluations', { ...defaults, evaluations: items });
      expect(batch.statusCode).toBe(200);
      const alone = [];
      for (const item of items) {
        const res = await post('/access/v1/evaluation', { ...defaults, ...item });
        alone.push(res.json());
      }
      expect(batch.json().evaluations).toEqual(alone);
      expect(alone.map((d) => d.decision)).toEqual([
        true,
        false,
        true,
        false,
        true,
        true,
        true,
        false,
        false,
        false,
        false,
        false,
        true,
      ]);
    },
  );

  it.skipIf(skip)(
    'denies a subject whose stated issuer is not a string, instead of reading it as the caller’s',
    async () => {
      // The PEP named an issuer, wrongly: whoever that is, it is not known to be this `sub` of
      // the PEP's own issuer (fail closed), in an evaluation, a batch and a search alike.
      for (const issuer of [5, null, true, { url: h.idp.issuer }, [h.idp.issuer]]) {
        const subject = { ...user('alice'), properties: { issuer } };
        const one = await post('/access/v1/evaluation', {
          subject,
          action: { name: 'can_read' },
          resource: { type: 'list', id: list },
        });
        expect(one.json(), JSON.stringify(issuer)).toMatchObject({ decision: false });
        const batch = await post('/access/v1/evaluations', {
          subject,
          action: { name: 'can_read' },
          evaluations: [{ resource: { type: 'list', id: list } }],
        });
        expect(batch.json().evaluations, JSON.stringify(issuer)).toMatchObject([
          { decision: false },
        ]);
        const found = await post('/access/v1/search/resource', {
          subject,
          action: { name: 'can_read' },
          resource: { type: 'list' },
        });
        expect(found.json().results, JSON.stringify(issuer)).toEqual([]);
      }
      const named = { ...user('alice'), properties: { issuer: h.idp.issuer } };
      const allowed = await post('/access/v1/evaluation', {
        subject: named,
        action: { name: 'can_read' },
        resource: { type: 'list', id: list },
      });
      expect(allowed.json()).toEqual({ decision: true });
    },
  );

  it.skipIf(skip)('applies a permission stated in the subject’s properties', async () => {
    const res = await post('/access/v1/evaluation', {
      subject: { ...user('bob'), properties: { permissions: ['todos:read'] } },
      action: { name: 'can_create_todo' },
      resource: { type: 'list', id: list },
    });
    expect(res.json()).toMatchObject({
      decision: false,
      context: { reason: 'permission_missing' },
    });
  });

  it.skipIf(skip)(
    'fails closed on permissions stated in another form than a list of strings',
    async () => {
      // An OAuth scope string (RFC 6749 §3.3), a lone string, an object, null, a list holding a
      // number: stated, so the permission column applies, and none of them grants todos:write.
      for (const permissions of [
        'todos:read',
        'todos:read todos:write',
        { write: true },
        null,
        [1],
      ]) {
        const res = await post('/access/v1/evaluation', {
          subject: { ...user('bob'), properties: { permissions } },
          action: { name: 'can_create_todo' },
          resource: { type: 'list', id: list },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json(), JSON.stringify(permissions)).toMatchObject({
          decision: false,
          context: { reason: 'permission_missing' },
        });
      }
    },
  );

  it.skipIf(skip)('stops at the first deny or the first permit as asked (§7.1.2.1)', async () => {
    const evaluations = ['can_read', 'can_share', 'can_update'].map((name) => ({
      action: { name },
    }));
    const base = { subject: user('carol'), resource: { type: 'list', id: list }, evaluations };
    const deny = await post('/access/v1/evaluations', {
      ...base,
      options: { evaluations_semantic: 'deny_on_first_deny' },
    });
    expect(deny.json().evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([
      true,
      false,
    ]);
    const permit = await post('/access/v1/evaluations', {
      ...base,
      evaluations: [...evaluations].reverse(),
      options: { evaluations_semantic: 'permit_on_first_permit' },
    });
    expect(permit.json().evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([
      false,
      false,
      true,
    ]);
    const all = await post('/access/v1/evaluations', base);
    expect(all.json().evaluations).toHaveLength(3);
    const bad = await post('/access/v1/evaluations', {
      ...base,
      options: { evaluations_semantic: 'first_come' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it.skipIf(skip)('searches members, readable lists and allowed actions', async () => {
    const subjects = await post('/access/v1/search/subject', {
      subject: { type: 'user' },
      action: { name: 'can_create_todo' },
      resource: { type: 'list', id: list },
    });
    expect(subjects.json().results).toEqual(
      [user('alice'), user('bob')].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const resources = await post('/access/v1/search/resource', {
      subject: user('carol'),
      action: { name: 'can_read' },
      resource: { type: 'list' },
    });
    expect(resources.json().results).toContainEqual({ type: 'list', id: list });
    const todos = await post('/access/v1/search/resource', {
      subject: user('carol'),
      action: { name: 'can_read' },
      resource: { type: 'todo' },
    });
    expect(todos.json().results).toContainEqual({ type: 'todo', id: todo });
    const actions = await post('/access/v1/search/action', {
      subject: user('bob'),
      resource: { type: 'list', id: list },
    });
    expect(actions.json().results).toEqual([{ name: 'can_read' }, { name: 'can_create_todo' }]);
  });

  it.skipIf(skip)(
    'knows no resource type named like an object property (valueOf, constructor, __proto__)',
    async () => {
      for (const type of ['valueOf', 'constructor', 'toString', 'hasOwnProperty', '__proto__']) {
        const actions = await post('/access/v1/search/action', {
          subject: user('alice'),
          resource: { type, id: list },
        });
        expect(actions.statusCode, `${type}: ${actions.body}`).toBe(200);
        expect(actions.json().results).toEqual([]);
        const resources = await post('/access/v1/search/resource', {
          subject: user('alice'),
          action: { name: 'can_read' },
          resource: { type },
        });
        expect(resources.statusCode, `${type}: ${resources.body}`).toBe(200);
        expect(resources.json().results).toEqual([]);
        const decision = await post('/access/v1/evaluation', {
          subject: user('alice'),
          action: { name: 'can_read' },
          resource: { type, id: list },
        });
        expect(decision.statusCode, `${type}: ${decision.body}`).toBe(200);
        expect(decision.json().decision).toBe(false);
      }
    },
  );

  it.skipIf(skip)(
    'returns from a search exactly the candidates a single evaluation permits (§8.1)',
    async () => {
      const people = (['alice', 'bob', 'carol'] as const).map(user);
      const actions = ['can_read', 'can_update', 'can_delete', 'can_share', 'can_create_todo'];
      const permitted = async (subject: object, action: string, resource: object) =>
        (
          await post('/access/v1/evaluation', { subject, action: { name: action }, resource })
        ).json().decision === true;
      const ids = (res: { json(): { results: { id: string }[] } }) =>
        res
          .json()
          .results.map((r) => r.id)
          .sort();
      for (const action of actions) {
        for (const resource of [
          { type: 'list', id: list },
          { type: 'todo', id: todo },
        ]) {
          const found = await post('/access/v1/search/subject', {
            subject: { type: 'user' },
            action: { name: action },
            resource,
          });
          const expected = [];
          for (const p of people) if (await permitted(p, action, resource)) expected.push(p.id);
          expect(ids(found), `${action} ${resource.type}`).toEqual(expected.sort());
        }
        for (const person of people) {
          for (const [type, id] of [
            ['list', list],
            ['todo', todo],
          ] as const) {
            const found = await post('/access/v1/search/resource', {
              subject: person,
              action: { name: action },
              resource: { type },
            });
            const allowed = await permitted(person, action, { type, id });
            expect(ids(found).includes(id), `${person.id} ${action} ${type}`).toBe(allowed);
          }
        }
      }
    },
  );

  it.skipIf(skip)(
    'answers page.limit 0 with an empty page and an empty next_token, so following tokens ends (§8.2)',
    async () => {
      const searches = [
        [
          '/access/v1/search/subject',
          {
            subject: { type: 'user' },
            action: { name: 'can_read' },
            resource: { type: 'list', id: list },
          },
        ],
        [
          '/access/v1/search/resource',
          { subject: user('carol'), action: { name: 'can_read' }, resource: { type: 'todo' } },
        ],
        [
          '/access/v1/search/action',
          { subject: user('bob'), resource: { type: 'list', id: list } },
        ],
      ] as const;
      for (const [url, body] of searches) {
        const res = await post(url, { ...body, page: { limit: 0 } });
        expect(res.statusCode, res.body).toBe(200);
        // Results exist, so the result set's total is not known from a limit-0 page.
        expect(res.json(), url).toEqual({ page: { next_token: '', count: 0 }, results: [] });
      }
      // With nothing to find, the empty page is the whole result set.
      const none = await post('/access/v1/search/resource', {
        subject: { type: 'user', id: 'nobody' },
        action: { name: 'can_read' },
        resource: { type: 'todo' },
        page: { limit: 0 },
      });
      expect(none.json()).toEqual({ page: { next_token: '', count: 0, total: 0 }, results: [] });
    },
  );
});
