import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Facts, type Policy } from '../src/authzen/engine.js';
import { listRepository } from '../src/lists/repository.js';
import { todoRepository } from '../src/todos/repository.js';
import { inRange } from './support/authzen-fixture.js';
import { drivers } from './support/databases.js';
import { useDecisionPoint } from './support/decision-point.js';
import { useHarness, users } from './support/harness.js';

/**
 * AuthZEN 1.0 §8.2 with more candidates than one response holds: a list of 1,006 members and
 * 1,005 todos. A response that does not hold the whole result set "MUST include" a `page` with a
 * non-empty `next_token`, and following the tokens yields every result once.
 */
describe.each(drivers)('AuthZEN search pages on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const CROWD = 1005;
  let pep = '';
  let list = '';
  const members: string[] = [];
  const todos: string[] = [];
  const alice = { type: 'user', id: users.alice.sub };

  beforeAll(async () => {
    if (skip) return;
    pep = await h.idp.accessToken({ sub: 'pep', roles: [], permissions: ['authz:evaluate'] });
    const { db } = h.context;
    const lists = listRepository(db);
    const repo = todoRepository(db);
    const now = new Date();
    const owner = { issuer: h.idp.issuer, subject: users.alice.sub };
    list = (await lists.create(owner, 'Crowd', now, db.kysely)).id;
    members.push(users.alice.sub);
    await db.kysely.transaction().execute(async (tx) => {
      for (let i = 0; i < CROWD; i++) {
        const sub = `crowd-${String(i).padStart(4, '0')}`;
        await lists.setMember(list, { issuer: h.idp.issuer, subject: sub }, 'viewer', now, tx);
        members.push(sub);
        todos.push((await repo.create(owner, { title: `t${i}` }, now, tx, list)).id);
      }
    });
  }, 120_000);

  const post = (url: string, payload: object) =>
    h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${pep}` }, payload });

  /** Every page of a search, following `next_token` with the token alone (§8.2 example). */
  async function allPages(url: string, body: Record<string, unknown>) {
    const pages: { page?: { next_token: string; count: number }; results: { id: string }[] }[] = [];
    let token: string | undefined;
    do {
      const res = await post(url, token === undefined ? body : { ...body, page: { token } });
      expect(res.statusCode, res.body).toBe(200);
      pages.push(res.json());
      token = res.json().page?.next_token || undefined;
    } while (token !== undefined && pages.length < 10);
    return pages;
  }

  it.skipIf(skip)(
    'answers more than 1,000 members in pages, every member once (the first response fails without a page before)',
    async () => {
      const body = {
        subject: { type: 'user' },
        action: { name: 'can_read' },
        resource: { type: 'list', id: list },
      };
      const pages = await allPages('/access/v1/search/subject', body);
      expect(pages.map((p) => p.results.length)).toEqual([1000, CROWD + 1 - 1000]);
      expect(pages[0]?.page?.next_token).not.toBe('');
      expect(pages[1]?.page?.next_token).toBe('');
      const found = pages.flatMap((p) => p.results.map((r) => r.id));
      expect(found.sort()).toEqual([...members].sort());
    },
  );

  it.skipIf(skip)('answers more than 1,000 todos in pages, every todo once', async () => {
    const body = { subject: alice, action: { name: 'can_read' }, resource: { type: 'todo' } };
    const pages = await allPages('/access/v1/search/resource', body);
    expect(pages.map((p) => p.results.length)).toEqual([1000, CROWD - 1000]);
    const found = pages.flatMap((p) => p.results.map((r) => r.id));
    expect(found.sort()).toEqual([...todos].sort());
  });

  it.skipIf(skip)('pages by the limit asked, the last page’s next_token empty', async () => {
    const body = {
      subject: { type: 'user' },
      action: { name: 'can_read' },
      resource: { type: 'todo', id: todos[0] },
      page: { limit: 400 },
    };
    const pages = await allPages('/access/v1/search/subject', body);
    expect(pages.map((p) => p.page)).toEqual([
      { next_token: expect.any(String), count: 400 },
      { next_token: expect.any(String), count: 400 },
      { next_token: '', count: CROWD + 1 - 800 },
    ]);
    expect(new Set(pages.flatMap((p) => p.results.map((r) => r.id))).size).toBe(CROWD + 1);
  });

  it.skipIf(skip)(
    'finds the one permitted member among more than 1,000 candidates in one response',
    async () => {
      const res = await post('/access/v1/search/subject', {
        subject: { type: 'user' },
        action: { name: 'can_share' },
        resource: { type: 'list', id: list },
      });
      expect(res.json()).toEqual({ results: [alice] });
    },
  );
});

/**
 * The bound of one page's scan (10,000 candidates): 25,000 candidate subjects of which three are
 * permitted, far apart. Each response ends where its scan stopped, with a token while candidates
 * remain; following the tokens yields the three, in id order, each once.
 */
describe('AuthZEN search pages over a long scan', () => {
  const subjects = Array.from({ length: 25_000 }, (_, i) => ({
    type: 'user',
    id: `u${String(i).padStart(5, '0')}`,
  }));
  const permitted = ['u00005', 'u12000', 'u24999'];
  const policy: Policy = {
    rules: [
      { effect: 'permit', subject: { type: 'user', id: permitted }, action: { name: 'read' } },
    ],
    actions: {},
  };
  const facts: Facts = {
    check: () => ({ allowed: true, reason: 'allowed' }),
    subjects: async (type, _resource, range) =>
      inRange(
        subjects.filter((s) => s.type === type),
        range,
      ),
    resources: async () => [],
  };
  const pdp = useDecisionPoint({
    engine: () => createEngine(policy, facts),
    pep: { sub: 'pep', roles: [], permissions: ['authz:evaluate'] },
  });
  const body = {
    subject: { type: 'user' },
    action: { name: 'read' },
    resource: { type: 'doc', id: 'd1' },
  };

  it.each([
    ['without page', undefined, [['u00005'], ['u12000'], ['u24999']]],
    ['with limit 1', { limit: 1 }, [['u00005'], ['u12000'], ['u24999']]],
    ['with limit 5', { limit: 5 }, [['u00005'], ['u12000'], ['u24999']]],
  ])('%s: every permitted subject once, in id order', async (_name, page, expected) => {
    const found: string[][] = [];
    const tokens: string[] = [];
    let token: string | undefined;
    do {
      const res = await pdp.post('/access/v1/search/subject', {
        ...body,
        ...(token === undefined ? page && { page } : { page: { token } }),
      });
      expect(res.statusCode, res.body).toBe(200);
      found.push(res.json().results.map((r: { id: string }) => r.id));
      token = res.json().page?.next_token || undefined;
      if (token) tokens.push(token);
    } while (token !== undefined && found.length < 10);
    expect(found).toEqual(expected);
    expect(tokens).toHaveLength(2);
  });
});
