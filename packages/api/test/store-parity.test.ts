import {
  admin,
  alice,
  bob,
  carol,
  nobody,
  startTestIssuer,
  type TestIssuer,
  type TestUser,
} from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/http/logger.js';
import { type RunningApi, startApi } from '../src/start.js';
import {
  postgresAvailable,
  postgresDatabase,
  sqliteDatabase,
  type TestDatabase,
} from './support/databases.js';
import { mfaClaims, testConfig } from './support/harness.js';

/**
 * SQLite and PostgreSQL must give the same answers: the same requests, over HTTP, at one API on
 * each store (the same issuer, people and clock). The PostgreSQL database is created with an ICU
 * `en-US` collation, as a database initialised with a language's locale (the usual production
 * default) is: ordering must not depend on it.
 */

/** A person without `preferred_username` (their username is unknown to the API). */
const anonymous: TestUser = {
  sub: 'a-person-without-a-username',
  username: undefined as unknown as string,
  roles: ['user'],
  permissions: ['todos:read', 'todos:write'],
  department: 'engineering',
};
/** A person whose username and `sub` sort differently by code point and by a language. */
const emile: TestUser = {
  sub: 'B-person-emile',
  username: 'émile',
  email: 'emile@example.com',
  roles: ['user'],
  permissions: ['todos:read', 'todos:write'],
  department: 'engineering',
};
/** A person whose `sub` sorts before émile's by a language, after it by code point. */
const zoe: TestUser = {
  sub: 'a-person-zoe',
  username: 'zoe',
  email: 'zoe@example.com',
  roles: ['user'],
  permissions: ['todos:read', 'todos:write'],
  department: 'sales',
};
const people = { alice, bob, carol, admin, nobody, anonymous, emile, zoe } as const;
type Person = keyof typeof people;
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly etag?: string | null;
}

/** One store's API, reached over HTTP. */
interface Side {
  readonly name: 'sqlite' | 'postgres';
  readonly api: RunningApi;
  readonly database: TestDatabase;
}

describe.skipIf(!postgresAvailable)('SQLite and PostgreSQL answer alike', () => {
  let idp: TestIssuer;
  const sides: Side[] = [];
  const tokens = new Map<Person, string>();
  let pep = '';
  const now = Math.floor(Date.now() / 1000) * 1000 + 997;
  const clock = { now: () => new Date(now) };

  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak', tokenLifetimeSec: 3600 });
    for (const [name, user] of Object.entries(people)) {
      tokens.set(
        name as Person,
        await idp.accessToken(user, name === 'admin' ? { claims: mfaClaims() } : {}),
      );
    }
    pep = await idp.accessToken({ sub: 'pep', roles: [], permissions: ['authz:evaluate'] });
    for (const [name, database] of [
      ['sqlite', sqliteDatabase()],
      ['postgres', await postgresDatabase({ icuLocale: 'en-US' })],
    ] as const) {
      const api = await startApi(testConfig(idp, database.config), {
        logger: createLogger('silent'),
        clock,
      });
      sides.push({ name, api, database });
    }
  }, 120_000);

  afterAll(async () => {
    for (const side of sides) {
      await side.api.close();
      await side.database.drop();
    }
    await idp?.close();
  });

  async function call(
    side: Side,
    who: Person | 'pep',
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer> {
    const res = await fetch(`${side.api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${who === 'pep' ? pep : tokens.get(who)}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const raw = await res.text();
    let parsed: unknown = raw;
    try {
      parsed = raw === '' ? null : JSON.parse(raw);
    } catch {}
    return { status: res.status, body: parsed, etag: res.headers.get('etag') };
  }

  /** The same request at both stores (ids are each one's own: the caller gives them per store). */
  async function atBoth(
    who: Person | 'pep',
    method: string,
    path: (side: Side) => string,
    body?: (side: Side) => unknown,
  ): Promise<[Answer, Answer]> {
    const answers: Answer[] = [];
    for (const side of sides) answers.push(await call(side, who, method, path(side), body?.(side)));
    return answers as [Answer, Answer];
  }

  /** A list of `owner`'s at each store, by store. */
  async function listAtBoth(owner: Person, name: string): Promise<Map<Side, string>> {
    const ids = new Map<Side, string>();
    for (const side of sides) {
      const res = await call(side, owner, 'POST', '/lists/', { name });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.set(side, (res.body as { id: string }).id);
    }
    return ids;
  }

  it.skipIf(!postgresAvailable)('orders lists by name by code point on both stores', async () => {
    const names = ['Zeta', 'apple', 'Émile', 'émile', 'e\u0301mile', '_x', 'Apple', '日本'];
    for (const name of names) await listAtBoth('carol', name);
    const [x, y] = await atBoth('carol', 'GET', () => '/lists/');
    const order = (res: Answer) =>
      (res.body as { name: string; isDefault: boolean }[])
        .filter((l) => !l.isDefault)
        .map((l) => l.name);
    const byCodePoint = [...names].sort((p, q) => (p < q ? -1 : 1));
    expect(order(x)).toEqual(byCodePoint);
    expect(order(y)).toEqual(byCodePoint);
  });

  it.skipIf(!postgresAvailable)(
    'orders people by username by code point on both stores',
    async () => {
      for (const who of ['emile', 'bob', 'zoe'] as const) await listAtBoth(who, 'a list');
      const [x, y] = await atBoth('admin', 'GET', () => '/admin/users');
      const order = (res: Answer) =>
        (res.body as { items: { username: string | null }[] }).items
          .map((u) => u.username)
          .filter((u) => u !== null);
      expect(order(x)).toEqual(expect.arrayContaining(['bob', 'carol', 'zoe', 'émile']));
      expect(order(x)).toEqual([...order(x)].sort((p, q) => (p < q ? -1 : 1)));
      expect(order(y)).toEqual(order(x));
    },
  );

  it.skipIf(!postgresAvailable)(
    'orders agents used at the same moment by client id by code point on both stores',
    async () => {
      const clients = ['Zeta-agent', 'alpha-agent', 'émile-agent', 'Alpha-agent'];
      for (const client of clients) {
        const token = await idp.accessToken(zoe, { claims: { azp: client } });
        for (const side of sides) {
          const res = await fetch(`${side.api.url}/me`, {
            headers: { authorization: `Bearer ${token}` },
          });
          expect(res.status, `${side.name} ${client}`).toBe(200);
        }
      }
      const order = (res: Answer) =>
        (res.body as { items: { clientId: string }[] }).items.map((a) => a.clientId);
      // A use is recorded once its response has gone: wait until all four are.
      let [x, y] = await atBoth('zoe', 'GET', () => '/me/agents');
      for (let n = 0; n < 50 && order(x).length + order(y).length < 8; n++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        [x, y] = await atBoth('zoe', 'GET', () => '/me/agents');
      }
      const byCodePoint = [...clients].sort((p, q) => (p < q ? -1 : 1));
      expect(order(x)).toEqual(byCodePoint);
      expect(order(y)).toEqual(byCodePoint);
    },
  );

  it.skipIf(!postgresAvailable)(
    'puts people without a username after the others on both stores',
    async () => {
      await listAtBoth('anonymous', 'a list');
      for (const res of await atBoth('admin', 'GET', () => '/admin/users')) {
        const names = (res.body as { items: { username: string | null }[] }).items.map(
          (u) => u.username,
        );
        expect(names.at(-1)).toBeNull();
        expect(names.indexOf(null)).toBe(names.length - 1);
      }
    },
  );

  it.skipIf(!postgresAvailable)(
    'refuses a cursor in year 0, which PostgreSQL cannot hold, on both stores',
    async () => {
      // Year 0 round-trips through `Date`, but PostgreSQL's calendar has none (22008).
      const cursor = Buffer.from(
        JSON.stringify(['0000-01-01T00:00:00.000Z', '6f1c2a52-9b0e-4a7e-9d1a-a11ce0000001']),
      ).toString('base64url');
      for (const path of [`/todos/?cursor=${cursor}`, `/admin/todos?cursor=${cursor}`]) {
        const [x, y] = await atBoth(
          path.startsWith('/admin') ? 'admin' : 'alice',
          'GET',
          () => path,
        );
        expect([x.status, y.status], path).toEqual([400, 400]);
        expect(y.body, path).toEqual(x.body);
      }
    },
  );

  it.skipIf(!postgresAvailable)(
    'pages the members of a list by sub by code point on both stores (AuthZEN subject search)',
    async () => {
      const list = await listAtBoth('alice', 'shared');
      for (const handle of ['émile', 'zoe', 'bob']) {
        const shared = await atBoth(
          'alice',
          'PUT',
          (side) => `/lists/${list.get(side)}/members/${encodeURIComponent(handle)}`,
          () => ({ relation: 'viewer' }),
        );
        expect(
          shared.map((r) => r.status),
          handle,
        ).toEqual([200, 200]);
      }
      const found = async (side: Side) => {
        const subs: string[] = [];
        let token: string | undefined;
        do {
          const body = {
            subject: { type: 'user' },
            action: { name: 'can_read' },
            resource: { type: 'list', id: list.get(side) },
            page: token === undefined ? { limit: 1 } : { token },
          };
          const res = await call(side, 'pep', 'POST', '/access/v1/search/subject', body);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const page = res.body as { results: { id: string }[]; page?: { next_token: string } };
          subs.push(...page.results.map((r) => r.id));
          token = page.page?.next_token || undefined;
        } while (token !== undefined && subs.length < 10);
        return subs;
      };
      const bySub = [alice.sub, bob.sub, emile.sub, zoe.sub].sort((p, q) => (p < q ? -1 : 1));
      for (const side of sides) expect(await found(side), side.name).toEqual(bySub);
    },
  );
});
