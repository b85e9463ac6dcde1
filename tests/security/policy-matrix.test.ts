import { randomUUID } from 'node:crypto';
import { MCP_ROUTES, PUBLIC_ROUTES, type RoutePolicy, routePolicies } from '@todo-sso/api';
import type { TestUser } from '@todo-sso/auth/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApiUnderTest } from '../reliability/support/api.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { minimalValue } from './support/openapi-body.js';
import { normalize, registeredRoutes } from './support/routes.js';

/**
 * The challenge of a request without a token: Bearer (RFC 6750 §3) beside DPoP with the proof
 * algorithms the API accepts (RFC 9449 §7.1; DPoP is allowed by default), each naming the API's
 * protected resource metadata (RFC 9728 §5.1; `app.inject` calls `http://localhost`).
 */
const RESOURCE_METADATA =
  'resource_metadata="http://localhost/.well-known/oauth-protected-resource"';
const NO_TOKEN_CHALLENGE = `Bearer realm="todo-api", ${RESOURCE_METADATA}, DPoP realm="todo-api", algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519", ${RESOURCE_METADATA}`;
/**
 * The MCP endpoint is its own protected resource: its challenge names its own metadata and the
 * scopes to ask for (RFC 6750 §3; MCP authorization 2025-11-25).
 */
const NO_TOKEN_CHALLENGE_MCP = NO_TOKEN_CHALLENGE.replaceAll(
  'oauth-protected-resource"',
  'oauth-protected-resource/mcp", scope="openid profile email"',
);
/** Routes of the MCP resource: guarded by its audience, each tool by its REST route's policy. */
const MCP = new Set<string>(MCP_ROUTES);

/**
 * The completeness check of authorization: everything is derived from the requirements each
 * route declares beside itself (`routePolicies()`) and the
 * routes Fastify really registered, never from a hand-written list. A route without a policy, a
 * policy without a route, or a route that answers without a token fails here; every route ×
 * method × persona × ownership cell is generated, with personas built from the permissions the
 * table names (each one alone, all of them without the admin role, the admin role alone).
 */

const POLICIES: Record<string, RoutePolicy> = { ...(await routePolicies()) };
const PROTECTED = Object.keys(POLICIES).map(normalize);
const PUBLIC = new Set(PUBLIC_ROUTES.map(normalize));
/** The interactive docs (swagger-ui's static files) are public by design. */
const isDocs = (path: string) => /^\/docs(\/|\*|$)/.test(path);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const PERMISSIONS = [...new Set(Object.values(POLICIES).flatMap((p) => p.permission ?? []))];

const persona = (name: string, roles: string[], permissions: string[]): TestUser => ({
  sub: `matrix-${name}-${randomUUID()}`,
  username: name,
  email: `${name}@example.com`,
  roles,
  permissions,
  department: 'engineering',
});

const PERSONAS: Record<string, TestUser | undefined> = {
  anonymous: undefined,
  'no permission': persona('none', [], []),
  ...Object.fromEntries(
    PERMISSIONS.map((p) => [`only ${p}`, persona(p.replace(':', '-'), [], [p])]),
  ),
  'every permission, not admin': persona('all', ['user'], PERMISSIONS),
  'admin role only': persona('admin', ['admin'], []),
};

type Ownership = 'own' | 'other' | 'n/a';

interface Cell {
  readonly route: string;
  readonly persona: string;
  readonly ownership: Ownership;
}

/** What the policy table implies for one cell. */
function expectation(
  cell: Cell,
  user: TestUser | undefined,
): { status: number | number[]; missing?: string } {
  if (user === undefined) return { status: 401 };
  const policy = POLICIES[cell.route] ?? POLICIES[`${cell.route}/`];
  if (policy === undefined) throw new Error(`no policy for ${cell.route}`);
  const isAdmin = user.roles.includes('admin');
  if (policy.admin && !isAdmin) return { status: 403, missing: 'admin' };
  if (policy.permission && !isAdmin && !user.permissions.includes(policy.permission))
    return { status: 403, missing: policy.permission };
  // No agent acted for the personas: ending one that never did is 404, for everyone.
  if (cell.route === 'DELETE /me/agents/:clientId') return { status: 404 };
  // No agent grant end is pending for the personas: retrying or releasing one is 404.
  if (cell.route.startsWith('POST /admin/agents/grant-ends/')) return { status: 404 };
  if (cell.ownership === 'other') {
    // Someone else's todo does not exist for the caller; another department is admin-only.
    if (cell.route.includes(':id')) return { status: 404 };
    return isAdmin ? { status: 200 } : { status: 403 };
  }
  return { status: [200, 201, 204] };
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  responses?: Record<string, unknown>;
  requestBody?: { content?: Record<string, { schema?: unknown; example?: unknown }> };
}

describe("authorization matrix generated from the routes' declared requirements", () => {
  let database: SuiteDatabase;
  let api: RunningApi;
  let paths: Record<string, Record<string, OpenApiOperation>>;
  const tokens = new Map<string, string>();
  let othersTodo: string;
  let othersList: string;
  let forbidden = 0;
  // Every refusal the audit log must account for: the 403s, and the 404s that hide a resource.
  let denied = 0;

  const operation = (route: string) => {
    const [method = '', path = ''] = route.split(' ');
    const doc = path.replace(/:(\w+)/g, '{$1}');
    return (paths[doc] ?? paths[`${doc}/`])?.[method.toLowerCase()];
  };

  beforeAll(async () => {
    database = sqliteDatabase();
    api = await startApiUnderTest({ database: database.env, listen: false });
    paths = (await api.app.inject({ url: '/openapi.json' })).json().paths;
    for (const [name, user] of Object.entries(PERSONAS)) {
      // Signed in with a second factor, as the default step-up under /admin/ asks (RFC 9470).
      if (user) tokens.set(name, await api.token(user));
    }
    const created = await api.app.inject({
      method: 'POST',
      url: '/todos/',
      headers: { authorization: `Bearer ${await api.token('alice')}` },
      payload: { title: "someone else's" },
    });
    othersTodo = created.json().id;
    othersList = created.json().listId;
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  it('has a policy for every registered route that is not public', () => {
    const unguarded = registeredRoutes(api.app)
      .map((r) => `${r.method} ${r.path}`)
      .filter(
        (key) =>
          !PUBLIC.has(key) &&
          !PROTECTED.includes(key) &&
          !MCP.has(key) &&
          !isDocs(key.split(' ')[1] ?? ''),
      );
    expect(unguarded).toEqual([]);
  });

  it('registers every route the policy table names', () => {
    const registered = new Set(registeredRoutes(api.app).map((r) => `${r.method} ${r.path}`));
    expect(PROTECTED.filter((key) => !registered.has(key))).toEqual([]);
  });

  it('answers every registered non-public route with 401 when no token is sent', async () => {
    const open: string[] = [];
    for (const { method, path } of registeredRoutes(api.app)) {
      const key = `${method} ${path}`;
      if (PUBLIC.has(key) || isDocs(path)) continue;
      const res = await api.app.inject({ method, url: path.replace(/:\w+/g, randomUUID()) });
      const challenge = MCP.has(key) ? NO_TOKEN_CHALLENGE_MCP : NO_TOKEN_CHALLENGE;
      if (res.statusCode !== 401 || res.headers['www-authenticate'] !== challenge)
        open.push(`${key} → ${res.statusCode}`);
    }
    expect(open).toEqual([]);
  });

  it('serves the public routes without a token', async () => {
    for (const key of PUBLIC) {
      const [method = 'GET', url = '/'] = key.split(' ');
      const res = await api.app.inject({ method: method as 'GET', url });
      expect(res.statusCode, key).not.toBe(401);
      expect(res.statusCode, key).toBeLessThan(500);
    }
  });

  const cells: Cell[] = PROTECTED.flatMap((route) => {
    const ownerships: Ownership[] =
      route.includes(':id') || route === 'GET /reports/summary' ? ['own', 'other'] : ['n/a'];
    return Object.keys(PERSONAS).flatMap((name) =>
      ownerships.map((ownership) => ({ route, persona: name, ownership })),
    );
  });

  async function requestFor(cell: Cell, user: TestUser | undefined): Promise<InjectOptions> {
    const [method = 'GET', path = '/'] = cell.route.split(' ');
    const op = operation(cell.route);
    let id: string = randomUUID();
    const onList = path.startsWith('/lists/:id');
    if (path.includes(':id')) {
      if (cell.ownership === 'other') id = onList ? othersList : othersTodo;
      else if (user && onList) {
        // The persona's own list, shared with alice (who has signed in) for the member routes.
        const writer = await api.idp.accessToken({ ...user, permissions: ['todos:write'] });
        const auth = { authorization: `Bearer ${writer}` };
        const res = await api.app.inject({
          method: 'POST',
          url: '/lists/',
          headers: auth,
          payload: { name: 'mine' },
        });
        id = res.json().id;
        await api.app.inject({
          method: 'PUT',
          url: `/lists/${id}/members/alice`,
          headers: auth,
          payload: { relation: 'viewer' },
        });
      } else if (user) {
        // The persona's own todo, written by a token with the same subject that may write.
        const writer = await api.idp.accessToken({ ...user, permissions: ['todos:write'] });
        const res = await api.app.inject({
          method: 'POST',
          url: '/todos/',
          headers: { authorization: `Bearer ${writer}` },
          payload: { title: 'mine' },
        });
        id = res.json().id;
      }
    }
    let url = path.replace(':id', id).replace(':username', 'alice');
    if (cell.ownership === 'other' && !path.includes(':id')) {
      const scoped = op?.parameters?.find((p) => p.in === 'query' && p.name === 'department');
      if (scoped) url += '?department=sales';
    }
    const media = op?.requestBody?.content?.['application/json'];
    const schema = media?.schema;
    const headers: Record<string, string> = {};
    const token = tokens.get(cell.persona);
    if (token) headers.authorization = `Bearer ${token}`;
    return {
      method: method as 'GET',
      url,
      headers,
      ...(schema === undefined
        ? {}
        : { payload: (media?.example ?? minimalValue(schema as never)) as object }),
    };
  }

  it.each(cells)('$route as $persona on $ownership follows the policy table', async (cell) => {
    const user = PERSONAS[cell.persona];
    const want = expectation(cell, user);
    const res = await api.app.inject(await requestFor(cell, user));
    const statuses = Array.isArray(want.status) ? want.status : [want.status];
    // Past the policy, a route documented with 501 (the identity provider's admin API, which
    // this harness does not configure) may answer that instead of its success.
    const documents501 = operation(cell.route)?.responses?.['501'] !== undefined;
    if (want.missing === undefined && user !== undefined && documents501) statuses.push(501);
    expect(statuses, res.body).toContain(res.statusCode);
    if (res.statusCode === 401) expect(res.headers['www-authenticate']).toBe(NO_TOKEN_CHALLENGE);
    // Another person's list or todo, which exists: a 404 hides it, and is a denial all the same.
    if (res.statusCode === 404 && cell.ownership === 'other' && cell.route.includes(':id'))
      denied += 1;
    if (res.statusCode === 403) {
      forbidden += 1;
      denied += 1;
      expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
      if (want.missing)
        expect(res.headers['www-authenticate']).toContain(`scope="${want.missing}"`);
      expect(res.json().status).toBe(403);
    }
  });

  it('refuses every method the table does not grant on a protected path, even to admins', async () => {
    const admin = tokens.get('admin role only') ?? '';
    const granted = new Set(PROTECTED);
    const paths = [...new Set(PROTECTED.map((k) => k.split(' ')[1] ?? ''))];
    for (const path of paths) {
      for (const method of METHODS) {
        if (granted.has(`${method} ${path}`)) continue;
        const res = await api.app.inject({
          method,
          url: path.replace(':id', othersTodo),
          headers: { authorization: `Bearer ${admin}` },
          payload: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        expect([404, 405], `${method} ${path}`).toContain(res.statusCode);
      }
    }
    const still = await api.app.inject({
      url: `/todos/${othersTodo}`,
      headers: { authorization: `Bearer ${await api.token('alice')}` },
    });
    expect(still.statusCode).toBe(200);
  });

  it('accounts for every authorization denial in the audit log (a record, or counted in one)', async () => {
    // Beyond AUDIT_DENIALS_PER_MINUTE a subject's denials are counted in `suppressed` of its
    // last record rather than written one by one; pending counts are written by flush().
    await api.context.audit.flush();
    const rows = await api.context.db.kysely
      .selectFrom('audit_log')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('suppressed').as('suppressed'),
      ])
      .where('outcome', '=', 'denied')
      .executeTakeFirstOrThrow();
    expect(forbidden).toBeGreaterThan(0);
    expect(Number(rows.n) + Number(rows.suppressed ?? 0)).toBe(denied);
  });
});
