import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/authzen/engine.js';
import { FIXTURE_FACTS, FIXTURE_POLICY } from './support/authzen-fixture.js';
import { useDecisionPoint } from './support/decision-point.js';

/**
 * Every case of the OpenID AuthZEN Authorization API 1.0 certification scenario
 * (`certification/authorization-api-1_0-scenario.md`, openid/authzen), its fixture policy
 * loaded as data into the API's own engine and endpoints. Case ids are the scenario's.
 */

const alice = { type: 'user', id: 'alice' };
const bob = { type: 'user', id: 'bob' };
const bobAdmin = { type: 'user', id: 'bob', properties: { role: 'admin' } };
const record1 = { type: 'record', id: 'record-1' };
const record2 = { type: 'record', id: 'record-2' };
const archived2 = { ...record2, properties: { status: 'archived' } };
const read = { name: 'read' };
const write = { name: 'write' };
const context = { time: '2025-06-27T18:03-07:00', ip: '192.168.1.1' };

const pdp = useDecisionPoint({
  engine: () => createEngine(FIXTURE_POLICY, FIXTURE_FACTS),
  env: { API_PUBLIC_URL: 'https://pdp.example.com' },
  // A policy enforcement point's service account: the one permission, nothing else.
  pep: {
    sub: 'pep-service-account',
    username: 'service-account-todo-api',
    roles: [],
    permissions: ['authz:evaluate'],
  },
});
const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  pdp.post(path, body, headers);

const EVALUATION = '/access/v1/evaluation';
const EVALUATIONS = '/access/v1/evaluations';

describe('AuthZEN certification: Basic (access evaluation)', () => {
  const decisions: [string, object, boolean][] = [
    ['C-2.2.1 permit', { subject: alice, action: read, resource: record1 }, true],
    ['C-2.2.2 deny', { subject: bob, action: write, resource: record1 }, false],
    [
      'C-2.2.3 optional context',
      { subject: alice, action: read, resource: record1, context },
      true,
    ],
    [
      'C-2.2.4 deny on resource properties',
      { subject: alice, action: write, resource: archived2 },
      false,
    ],
    [
      'C-2.2.5 permit on subject properties',
      { subject: bobAdmin, action: write, resource: archived2 },
      true,
    ],
    [
      'C-2.2.6 permit on action properties',
      { subject: alice, action: { name: 'delete', properties: { soft: true } }, resource: record1 },
      true,
    ],
    [
      'C-2.2.7 deny on action properties',
      {
        subject: alice,
        action: { name: 'delete', properties: { soft: false } },
        resource: record1,
      },
      false,
    ],
    [
      'C-2.2.8 additional properties',
      {
        subject: { ...alice, properties: { department: 'Sales', role: 'manager' } },
        action: { name: 'read', properties: { method: 'GET' } },
        resource: { ...record1, properties: { status: 'active', owner: 'bob' } },
      },
      true,
    ],
    [
      'C-2.2.9 unknown fields ignored',
      {
        subject: alice,
        action: read,
        resource: record1,
        foo: 'bar',
        futureField: { nested: true },
      },
      true,
    ],
  ];
  it.each(decisions)('%s', async (_name, body, decision) => {
    const res = await post(EVALUATION, body);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().decision).toBe(decision);
  });

  const malformed: [string, unknown][] = [
    ['missing subject', { action: read, resource: record1 }],
    ['missing action', { subject: alice, resource: record1 }],
    ['missing resource', { subject: alice, action: read }],
    ['subject without type', { subject: { id: 'alice' }, action: read, resource: record1 }],
    ['subject without id', { subject: { type: 'user' }, action: read, resource: record1 }],
    ['action without name', { subject: alice, action: {}, resource: record1 }],
    ['resource without type', { subject: alice, action: read, resource: { id: 'record-1' } }],
    ['resource without id', { subject: alice, action: read, resource: { type: 'record' } }],
    ['subject as a string', { subject: 'alice', action: read, resource: record1 }],
    ['action name as a number', { subject: alice, action: { name: 123 }, resource: record1 }],
    ['malformed JSON', '{"subject": {'],
    ['a JSON array', '[]'],
  ];
  it.each(malformed)('C-2.4 %s → 400 naming the field', async (_name, body) => {
    const res = await post(EVALUATION, body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('C-2.4.1 names the missing member in the problem details', async () => {
    const res = await post(EVALUATION, { action: read, resource: record1 });
    expect(res.json().errors).toEqual([{ field: 'body.subject', message: 'is required' }]);
  });

  it('C-2.4.3 a body that is not application/json → 400', async () => {
    const res = await post(EVALUATION, 'subject=alice', { 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(400);
  });

  it('C-2.4.5 an empty body → 400', async () => {
    const res = await pdp.app.inject({
      method: 'POST',
      url: EVALUATION,
      headers: { authorization: `Bearer ${pdp.token}`, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('C-2.5.1 echoes X-Request-ID exactly, even one the API would not use as its own id', async () => {
    const id = 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716 / PEP #7';
    const res = await post(
      EVALUATION,
      { subject: alice, action: read, resource: record1 },
      {
        'x-request-id': id,
      },
    );
    expect(res.headers['x-request-id']).toBe(id);
  });

  it('C-2.5.2 answers without X-Request-ID', async () => {
    const res = await post(EVALUATION, { subject: alice, action: read, resource: record1 });
    expect(res.statusCode).toBe(200);
  });

  it('C-2.6 is idempotent', async () => {
    const body = { subject: bob, action: write, resource: record1 };
    const answers = await Promise.all([1, 2, 3].map(() => post(EVALUATION, body)));
    expect(answers.map((a) => a.json().decision)).toEqual([false, false, false]);
  });
});

describe('AuthZEN certification: Batch (access evaluations)', () => {
  const batches: [string, object, boolean[]][] = [
    [
      'C-3.2.2 fixture decisions in order',
      { subject: bob, resource: record1, evaluations: [{ action: read }, { action: write }] },
      [true, false],
    ],
    [
      'C-3.2.3 resource properties per item',
      {
        subject: alice,
        action: write,
        evaluations: [
          { resource: { ...record1, properties: { status: 'active' } } },
          { resource: archived2 },
        ],
      },
      [true, false],
    ],
    [
      'C-3.2.4 subject properties per item',
      {
        action: write,
        resource: archived2,
        evaluations: [{ subject: alice }, { subject: bobAdmin }],
      },
      [false, true],
    ],
    [
      'C-3.2.5 fully specified items',
      {
        evaluations: [
          { subject: alice, action: read, resource: record1 },
          { subject: bob, action: write, resource: record1 },
        ],
      },
      [true, false],
    ],
    [
      'C-3.2.7 whole-entity defaults and overrides',
      {
        subject: alice,
        action: write,
        resource: { ...record1, properties: { status: 'active' } },
        evaluations: [{}, { resource: archived2 }],
      },
      [true, false],
    ],
    [
      'C-3.4.1 a malformed item is denied, the others still run',
      {
        subject: alice,
        action: read,
        options: { evaluations_semantic: 'execute_all' },
        evaluations: [{ resource: record1 }, {}],
      },
      [true, false],
    ],
  ];
  it.each(batches)('%s', async (_name, body, expected) => {
    const res = await post(EVALUATIONS, body);
    expect(res.statusCode).toBe(200);
    const evaluations = res.json().evaluations as { decision: boolean }[];
    expect(evaluations.map((e) => e.decision)).toEqual(expected);
  });

  it('C-3.2.1 and C-3.2.6: two structurally valid decisions, context inherited or overridden', async () => {
    for (const body of [
      { subject: alice, action: read, evaluations: [{ resource: record1 }, { resource: record2 }] },
      {
        subject: alice,
        action: read,
        context: { time: '2025-06-27T18:03-07:00' },
        evaluations: [
          { resource: record1 },
          {
            resource: record2,
            context: { time: '2025-06-27T19:00-07:00', source: 'batch-override' },
          },
        ],
      },
    ]) {
      const res = await post(EVALUATIONS, body);
      expect(res.statusCode).toBe(200);
      const evaluations = res.json().evaluations as unknown[];
      expect(evaluations).toHaveLength(2);
      for (const e of evaluations)
        expect(typeof (e as { decision: unknown }).decision).toBe('boolean');
    }
  });

  it('C-3.4.1 puts the item’s error in its context', async () => {
    const res = await post(EVALUATIONS, { subject: alice, action: read, evaluations: [{}] });
    expect(res.json().evaluations[0]).toEqual({
      decision: false,
      context: { error: { status: 400, message: 'body.evaluations[0].resource is required' } },
    });
  });

  it.each([
    ['C-3.4.2 without an evaluations array', undefined],
    ['C-3.4.3 with an empty evaluations array', []],
  ])('%s answers as a single evaluation', async (_name, evaluations) => {
    const res = await post(EVALUATIONS, {
      subject: alice,
      action: read,
      resource: record1,
      ...(evaluations && { evaluations }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ decision: true });
  });
});

const SEARCH = (kind: string) => `/access/v1/search/${kind}`;
const ids = (body: { results: { id?: string; name?: string }[] }) =>
  body.results.map((r) => r.id ?? r.name);

describe('AuthZEN certification: Search', () => {
  const searches: [string, string, object, string[]][] = [
    [
      'C-4.2.1 subjects',
      'subject',
      { subject: { type: 'user' }, action: read, resource: record1 },
      ['alice', 'bob'],
    ],
    [
      'C-4.2.2 subjects with context',
      'subject',
      { subject: { type: 'user' }, action: read, resource: record1, context },
      ['alice', 'bob'],
    ],
    [
      'C-4.2.3 subject id ignored',
      'subject',
      { subject: alice, action: read, resource: record1 },
      ['alice', 'bob'],
    ],
    [
      'C-4.2.4 subjects on resource properties',
      'subject',
      { subject: { type: 'user' }, action: write, resource: archived2 },
      ['bob'],
    ],
    [
      'C-4.3.1 resources',
      'resource',
      { subject: alice, action: read, resource: { type: 'record' } },
      ['record-1'],
    ],
    [
      'C-4.3.2 resources with context',
      'resource',
      { subject: alice, action: read, resource: { type: 'record' }, context },
      ['record-1'],
    ],
    [
      'C-4.3.3 resource id ignored',
      'resource',
      { subject: alice, action: read, resource: record1 },
      ['record-1'],
    ],
    [
      'C-4.3.4 resources on subject properties',
      'resource',
      { subject: bobAdmin, action: write, resource: { type: 'record' } },
      ['record-2'],
    ],
    ['C-4.4.1 actions', 'action', { subject: alice, resource: record1 }, ['read', 'write']],
    [
      'C-4.4.2 actions with context',
      'action',
      { subject: alice, resource: record1, context },
      ['read', 'write'],
    ],
    [
      'C-4.4.3 actions on properties',
      'action',
      { subject: bobAdmin, resource: archived2 },
      ['write'],
    ],
  ];
  it.each(searches)('%s', async (_name, kind, body, expected) => {
    const res = await post(SEARCH(kind), body);
    expect(res.statusCode).toBe(200);
    const found = ids(res.json());
    for (const id of expected) expect(found).toContain(id);
    for (const r of res.json().results) {
      if (kind !== 'action') expect(r.type).toBe(kind === 'subject' ? 'user' : 'record');
    }
  });

  it('C-4.2.3 and C-4.3.3: an id on the searched-for entity changes nothing', async () => {
    const withId = await post(SEARCH('subject'), {
      subject: alice,
      action: read,
      resource: record1,
    });
    const without = await post(SEARCH('subject'), {
      subject: { type: 'user' },
      action: read,
      resource: record1,
    });
    expect(withId.json()).toEqual(without.json());
  });

  it.each([
    ['an empty string', ''],
    ['a number', 7],
    ['null', null],
    ['an object', { id: 'alice' }],
  ])(
    'C-4.2.3 and C-4.3.3: the searched-for entity’s id, even %s, is ignored (§8.4, §8.5: "if present, MUST be ignored")',
    async (_name, id) => {
      const subjects = { subject: { type: 'user' }, action: read, resource: record1 };
      const resources = { subject: alice, action: read, resource: { type: 'record' } };
      for (const [kind, body, key] of [
        ['subject', subjects, 'subject'],
        ['resource', resources, 'resource'],
      ] as const) {
        const without = await post(SEARCH(kind), body);
        const entity = (body as Record<string, object>)[key];
        const withId = await post(SEARCH(kind), { ...body, [key]: { ...entity, id } });
        expect(withId.statusCode, kind).toBe(200);
        expect(withId.json(), kind).toEqual(without.json());
      }
    },
  );

  it('C-4.5 pages with limit and token, the last page’s next_token empty', async () => {
    const body = { subject: { type: 'user' }, action: read, resource: record1 };
    const first = await post(SEARCH('subject'), { ...body, page: { limit: 1 } });
    expect(first.statusCode).toBe(200);
    expect(first.json().page).toMatchObject({ count: 1 });
    const token = first.json().page.next_token as string;
    expect(token).not.toBe('');
    const second = await post(SEARCH('subject'), { ...body, page: { limit: 1, token } });
    expect(second.json().page).toEqual({ next_token: '', count: 1 });
    expect([...ids(first.json()), ...ids(second.json())].sort()).toEqual(['alice', 'bob']);
    const changed = await post(SEARCH('subject'), {
      ...body,
      action: write,
      page: { limit: 1, token },
    });
    expect(changed.statusCode).toBe(400);
  });

  it('C-4.5.2 a follow-up sending only the token continues with the first request’s limit (§8.2 example)', async () => {
    const body = { subject: { type: 'user' }, action: read, resource: record1 };
    const first = await post(SEARCH('subject'), { ...body, page: { limit: 1 } });
    const token = first.json().page.next_token as string;
    const second = await post(SEARCH('subject'), { ...body, page: { token } });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual({
      page: { next_token: '', count: 1 },
      results: [{ type: 'user', id: 'bob' }],
    });
  });

  it('C-4.5 a follow-up with its members in another order continues (§10.1.1: no member order assumed)', async () => {
    const first = await post(SEARCH('subject'), {
      subject: { type: 'user' },
      action: read,
      resource: { type: 'record', id: 'record-1', properties: { a: 1, b: 2 } },
      page: { limit: 1 },
    });
    const token = first.json().page.next_token as string;
    const second = await post(
      SEARCH('subject'),
      `{"page":{"token":${JSON.stringify(token)},"limit":1},"resource":{"properties":{"b":2,"a":1},"id":"record-1","type":"record"},"action":{"name":"read"},"subject":{"type":"user"}}`,
    );
    expect(second.statusCode, second.body).toBe(200);
    expect(ids(second.json())).toEqual(['bob']);
  });

  it('C-4.5 a follow-up changing the limit is refused (§8.2: a PDP SHOULD return an error)', async () => {
    const body = { subject: { type: 'user' }, action: read, resource: record1 };
    const first = await post(SEARCH('subject'), { ...body, page: { limit: 1 } });
    const token = first.json().page.next_token as string;
    const res = await post(SEARCH('subject'), { ...body, page: { token, limit: 2 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { field: 'body.page.limit', message: 'differs from the limit the token was issued for' },
    ]);
    for (const forged of ['e30.AAAAAAAAAAAAAAAA', `${token}x`, 'not a token']) {
      const res = await post(SEARCH('subject'), { ...body, page: { token: forged } });
      expect(res.statusCode, forged).toBe(400);
    }
  });

  it('C-4.5 a limit of 0 returns no result and ends the pagination, results or not (§8.2)', async () => {
    const body = { subject: { type: 'user' }, action: read, resource: record1 };
    const none = await post(SEARCH('subject'), { ...body, page: { limit: 0 } });
    expect(none.statusCode).toBe(200);
    // Every follow-up carries limit 0 too, so a token could only ever lead to another empty page.
    expect(none.json()).toEqual({ page: { next_token: '', count: 0 }, results: [] });
    const empty = await post(SEARCH('subject'), {
      subject: { type: 'spaceship' },
      action: read,
      resource: record1,
      page: { limit: 0 },
    });
    expect(empty.json()).toEqual({ page: { next_token: '', count: 0, total: 0 }, results: [] });
  });

  it('C-4.5 puts page first in the response (§8.3: RECOMMENDED)', async () => {
    const res = await post(SEARCH('resource'), {
      subject: alice,
      action: read,
      resource: { type: 'record' },
      page: { limit: 5 },
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe(
      '{"page":{"next_token":"","count":2,"total":2},"results":[{"type":"record","id":"record-1"},{"type":"record","id":"record-2"}]}',
    );
  });

  it.each([
    [
      'C-4.6.1 unknown subject (action search)',
      'action',
      { subject: { type: 'user', id: 'nonexistent-user' }, resource: record1 },
    ],
    [
      'C-4.6.2 unknown subject type',
      'subject',
      { subject: { type: 'spaceship' }, action: read, resource: record1 },
    ],
    [
      'C-4.6 unknown resource type',
      'resource',
      { subject: alice, action: read, resource: { type: 'spaceship' } },
    ],
  ])('%s → empty results', async (_name, kind, body) => {
    const res = await post(SEARCH(kind), body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ results: [] });
  });

  it.each([
    [
      'C-4.7.1 subject search without action',
      'subject',
      { subject: { type: 'user' }, resource: record1 },
    ],
    [
      'C-4.7.1 resource search without subject',
      'resource',
      { action: read, resource: { type: 'record' } },
    ],
    ['C-4.7.1 action search without resource', 'action', { subject: alice }],
    [
      'C-4.7.2 subject search, resource without id',
      'subject',
      { subject: { type: 'user' }, action: read, resource: { type: 'record' } },
    ],
    [
      'C-4.7.2 resource search, subject without id',
      'resource',
      { subject: { type: 'user' }, action: read, resource: { type: 'record' } },
    ],
    [
      'C-4.7.2 action search, subject without id',
      'action',
      { subject: { type: 'user' }, resource: record1 },
    ],
  ])('%s → 400', async (_name, kind, body) => {
    expect((await post(SEARCH(kind), body)).statusCode).toBe(400);
  });
});

describe('AuthZEN certification: Discovery', () => {
  it('C-6 publishes the metadata under the public base URL', async () => {
    const res = await pdp.app.inject({ url: '/.well-known/authzen-configuration' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // §12: metadata may be cached (Cache-Control with max-age), like RFC 9728's documents.
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.json()).toEqual({
      policy_decision_point: 'https://pdp.example.com',
      access_evaluation_endpoint: 'https://pdp.example.com/access/v1/evaluation',
      access_evaluations_endpoint: 'https://pdp.example.com/access/v1/evaluations',
      search_subject_endpoint: 'https://pdp.example.com/access/v1/search/subject',
      search_resource_endpoint: 'https://pdp.example.com/access/v1/search/resource',
      search_action_endpoint: 'https://pdp.example.com/access/v1/search/action',
    });
  });
});

describe('AuthZEN endpoints: access', () => {
  it('refuses a caller without authz:evaluate with 403 insufficient_scope', async () => {
    const alicesToken = await pdp.idp.accessToken({
      sub: 'someone',
      permissions: ['todos:read'],
      roles: [],
    });
    const res = await pdp.app.inject({
      method: 'POST',
      url: EVALUATION,
      headers: { authorization: `Bearer ${alicesToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ subject: alice, action: read, resource: record1 }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
  });

  it.each([
    ['subject', { subject: { type: 'user' }, action: read, resource: record1 }],
    ['resource', { subject: alice, action: read, resource: { type: 'record' } }],
    ['action', { subject: alice, resource: record1 }],
  ])(
    'answers a %s search only to a caller holding authz:evaluate (401, 403, no results)',
    async (kind, body) => {
      const withoutPermission = await pdp.idp.accessToken({
        sub: 'someone',
        permissions: ['todos:read'],
        roles: [],
      });
      for (const [token, status] of [
        [undefined, 401],
        [withoutPermission, 403],
        ['not-a-token', 401],
      ] as const) {
        const res = await pdp.app.inject({
          method: 'POST',
          url: SEARCH(kind),
          headers: {
            'content-type': 'application/json',
            ...(token && { authorization: `Bearer ${token}` }),
          },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, `${kind} ${status}`).toBe(status);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json().results).toBeUndefined();
      }
    },
  );

  it('refuses a request without a token with 401', async () => {
    const res = await pdp.app.inject({
      method: 'POST',
      url: EVALUATION,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ subject: alice, action: read, resource: record1 }),
    });
    expect(res.statusCode).toBe(401);
  });
});
