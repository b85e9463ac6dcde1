import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { routePolicies } from '../src/authz/catalogue.js';
import { PUBLIC_ROUTES } from '../src/authz/public-routes.js';
import type { RoutePolicy } from '../src/authz/requirement.js';
import { MCP_ROUTES } from '../src/mcp/routes.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers } from './support/databases.js';
import { type UserName, useHarness, users } from './support/harness.js';

/**
 * The challenge of a request without a token: Bearer (RFC 6750 §3) beside DPoP with the proof
 * algorithms the API accepts (RFC 9449 §7.1; DPoP is allowed by default), each naming the API's
 * protected resource metadata (RFC 9728 §5.1; `app.inject` calls `http://localhost`).
 */
const RESOURCE_METADATA =
  'resource_metadata="http://localhost/.well-known/oauth-protected-resource"';
const NO_TOKEN_CHALLENGE = `Bearer realm="todo-api", ${RESOURCE_METADATA}, DPoP realm="todo-api", algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519", ${RESOURCE_METADATA}`;

type Caller = UserName | 'none';
type Target = 'own' | 'other';

/** Every protected route with the requirement it declares beside itself. */
const ROUTE_POLICIES = await routePolicies();
type ProtectedRoute = string;

const CALLERS: Caller[] = ['none', 'alice', 'bob', 'carol', 'admin', 'nobody'];
const TARGETS: Target[] = ['own', 'other'];

/** Whose todo is "someone else's" for each caller. */
const OTHER: Record<UserName, UserName> = {
  alice: 'bob',
  bob: 'alice',
  carol: 'alice',
  admin: 'alice',
  nobody: 'alice',
};

interface Cell {
  /** The todo ids of the cell: one owned by the caller, one by someone else. */
  own: string;
  other: string;
  otherSub: string;
  /** The lists of those todos: the caller's default list and someone else's. */
  ownList: string;
  otherList: string;
}

const listOf = (t: Target, c: Cell) => (t === 'own' ? c.ownList : c.otherList);

/** An AuthZEN question about the cell's todo: answered 200 to whoever may ask it. */
function authzenCall(url: string) {
  return {
    request: (t: Target, c: Cell): InjectOptions => ({
      method: 'POST',
      url,
      payload: {
        subject: { type: 'user', id: c.otherSub },
        action: { name: 'can_read' },
        resource: { type: 'todo', id: c[t] },
      },
    }),
    allowed: () => 200,
  };
}

/**
 * What each protected route is asked in a cell, and what it answers once the policy lets the
 * caller through. A protected route without an entry here fails the coverage test below.
 */
const REQUESTS: Record<
  ProtectedRoute,
  {
    request(target: Target, cell: Cell): InjectOptions;
    allowed(target: Target, caller: UserName): number;
  }
> = {
  'GET /todos/': { request: () => ({ method: 'GET', url: '/todos/' }), allowed: () => 200 },
  'POST /todos/': {
    request: () => ({ method: 'POST', url: '/todos/', payload: { title: 'matrix' } }),
    allowed: () => 201,
  },
  'GET /todos/:id': {
    request: (t, c) => ({ method: 'GET', url: `/todos/${c[t]}` }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'PUT /todos/:id': {
    request: (t, c) => ({
      method: 'PUT',
      url: `/todos/${c[t]}`,
      payload: { title: 'replaced', completed: true },
    }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'PATCH /todos/:id': {
    request: (t, c) => ({ method: 'PATCH', url: `/todos/${c[t]}`, payload: { completed: true } }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'DELETE /todos/:id': {
    request: (t, c) => ({ method: 'DELETE', url: `/todos/${c[t]}` }),
    allowed: (t) => (t === 'own' ? 204 : 404),
  },
  'GET /lists/': { request: () => ({ method: 'GET', url: '/lists/' }), allowed: () => 200 },
  'POST /lists/': {
    request: () => ({ method: 'POST', url: '/lists/', payload: { name: 'matrix' } }),
    allowed: () => 201,
  },
  'GET /lists/:id': {
    request: (t, c) => ({ method: 'GET', url: `/lists/${listOf(t, c)}` }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'PATCH /lists/:id': {
    request: (t, c) => ({
      method: 'PATCH',
      url: `/lists/${listOf(t, c)}`,
      payload: { name: 'renamed' },
    }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'DELETE /lists/:id': {
    // The caller's list here is their default list, which is never deleted.
    request: (t, c) => ({ method: 'DELETE', url: `/lists/${listOf(t, c)}` }),
    allowed: (t) => (t === 'own' ? 409 : 404),
  },
  'GET /lists/:id/todos/': {
    request: (t, c) => ({ method: 'GET', url: `/lists/${listOf(t, c)}/todos/` }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'POST /lists/:id/todos/': {
    request: (t, c) => ({
      method: 'POST',
      url: `/lists/${listOf(t, c)}/todos/`,
      payload: { title: 'matrix' },
    }),
    allowed: (t) => (t === 'own' ? 201 : 404),
  },
  'GET /lists/:id/members': {
    request: (t, c) => ({ method: 'GET', url: `/lists/${listOf(t, c)}/members` }),
    allowed: (t) => (t === 'own' ? 200 : 404),
  },
  'PUT /lists/:id/members/:username': {
    // Nobody signed in as this name: 404 on the caller's list, 404 on a list they cannot read.
    request: (t, c) => ({
      method: 'PUT',
      url: `/lists/${listOf(t, c)}/members/no-such-person`,
      payload: { relation: 'viewer' },
    }),
    allowed: () => 404,
  },
  'DELETE /lists/:id/members/:username': {
    request: (t, c) => ({ method: 'DELETE', url: `/lists/${listOf(t, c)}/members/no-such-person` }),
    allowed: () => 404,
  },
  'GET /me': { request: () => ({ method: 'GET', url: '/me' }), allowed: () => 200 },
  'GET /me/agents': { request: () => ({ method: 'GET', url: '/me/agents' }), allowed: () => 200 },
  // No agent acted for the caller in the matrix: ending one is a 404, never another's.
  'DELETE /me/agents/:clientId': {
    request: () => ({ method: 'DELETE', url: '/me/agents/matrix-agent' }),
    allowed: () => 404,
  },
  'GET /reports/summary': {
    // own: the caller's department (the default); other: a department that is not theirs.
    request: (t) => ({
      method: 'GET',
      url: t === 'own' ? '/reports/summary' : '/reports/summary?department=sales',
    }),
    allowed: (t, caller) => (t === 'own' || caller === 'admin' ? 200 : 403),
  },
  'GET /admin/users': {
    request: () => ({ method: 'GET', url: '/admin/users' }),
    allowed: () => 200,
  },
  'GET /admin/todos': {
    request: (t, c) => ({
      method: 'GET',
      url: t === 'own' ? '/admin/todos' : `/admin/todos?owner=${c.otherSub}`,
    }),
    allowed: () => 200,
  },
  'GET /admin/audit': {
    request: () => ({ method: 'GET', url: '/admin/audit' }),
    allowed: () => 200,
  },
  'POST /access/v1/evaluation': authzenCall('/access/v1/evaluation'),
  'POST /access/v1/evaluations': authzenCall('/access/v1/evaluations'),
  'POST /access/v1/search/subject': authzenCall('/access/v1/search/subject'),
  'POST /access/v1/search/resource': authzenCall('/access/v1/search/resource'),
  'POST /access/v1/search/action': authzenCall('/access/v1/search/action'),
  'POST /admin/sessions/revoke': {
    // Revokes a subject no test user has, so the matrix's own tokens stay valid.
    request: () => ({
      method: 'POST',
      url: '/admin/sessions/revoke',
      payload: { sub: 'departed-employee' },
    }),
    allowed: () => 200,
  },
  'GET /admin/agents/grant-ends': {
    request: () => ({ method: 'GET', url: '/admin/agents/grant-ends' }),
    allowed: () => 200,
  },
  // No agent's grant end is pending in the matrix: acting on one is a 404, past the policy.
  'POST /admin/agents/grant-ends/retry': {
    request: () => ({
      method: 'POST',
      url: '/admin/agents/grant-ends/retry',
      payload: { issuer: 'https://idp.example', sub: 'matrix-person', clientId: 'matrix-agent' },
    }),
    allowed: () => 404,
  },
  'POST /admin/agents/grant-ends/release': {
    request: () => ({
      method: 'POST',
      url: '/admin/agents/grant-ends/release',
      payload: { issuer: 'https://idp.example', sub: 'matrix-person', clientId: 'matrix-agent' },
    }),
    allowed: () => 404,
  },
  // The harness configures no IdP admin credentials: past the policy, the routes explain (501).
  ...idpAdminRequests(),
};

/** The `/admin/idp/*` routes; the matrix checks who gets past the policy to their 501. */
function idpAdminRequests() {
  const user = '6f1c2a52-9b0e-4a7e-9d1a-0000000000aa';
  const entry = (method: InjectOptions['method'], url: string, payload?: object) => ({
    request: (): InjectOptions => ({ method, url, ...(payload && { payload }) }),
    allowed: () => 501,
  });
  return {
    'GET /admin/idp/users': entry('GET', '/admin/idp/users'),
    'POST /admin/idp/users': entry('POST', '/admin/idp/users', { username: 'matrix' }),
    'PATCH /admin/idp/users/:id': entry('PATCH', `/admin/idp/users/${user}`, { enabled: false }),
    'PUT /admin/idp/users/:id/roles/:role': entry('PUT', `/admin/idp/users/${user}/roles/user`),
    'DELETE /admin/idp/users/:id/roles/:role': entry(
      'DELETE',
      `/admin/idp/users/${user}/roles/user`,
    ),
    'POST /admin/idp/users/:id/reset-password': entry(
      'POST',
      `/admin/idp/users/${user}/reset-password`,
      { password: 'temporary-1' },
    ),
    'GET /admin/idp/users/:id/sessions': entry('GET', `/admin/idp/users/${user}/sessions`),
    'POST /admin/idp/users/:id/logout': entry('POST', `/admin/idp/users/${user}/logout`),
  } as const;
}

/** The matrix entry of a route; a protected route without one fails its cells. */
function requestOf(route: ProtectedRoute) {
  const entry = REQUESTS[route];
  if (entry === undefined) throw new Error(`no request for ${route} in the matrix`);
  return entry;
}

/** The status the route's requirement implies: no token 401; not met 403; else its answer. */
function expected(route: ProtectedRoute, caller: Caller, target: Target): number {
  if (caller === 'none') return 401;
  const user = users[caller];
  const isAdmin = caller === 'admin';
  const policy: RoutePolicy = ROUTE_POLICIES[route] ?? {};
  if (policy.admin && !isAdmin) return 403;
  if (policy.permission && !isAdmin && !user.permissions.includes(policy.permission)) return 403;
  return requestOf(route).allowed(target, caller);
}

describe.each(drivers)('authorization matrix on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });

  /** Fresh todos per cell, written straight to the database so no cell depends on another. */
  async function cellFor(caller: Caller): Promise<Cell> {
    const todos = todoRepository(h.context.db);
    const me = caller === 'none' ? 'alice' : caller;
    const them = caller === 'none' ? 'bob' : OTHER[caller];
    const owner = (name: UserName) => ({ issuer: h.idp.issuer, subject: users[name].sub });
    const own = await todos.create(owner(me), { title: `${me}'s` }, new Date());
    const other = await todos.create(owner(them), { title: `${them}'s` }, new Date());
    return {
      own: own.id,
      other: other.id,
      otherSub: users[them].sub,
      ownList: own.listId,
      otherList: other.listId,
    };
  }

  it.skipIf(skip)('documents every route either in the policy table or as public', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const known = new Set<string>([
      ...Object.keys(ROUTE_POLICIES),
      ...PUBLIC_ROUTES,
      ...MCP_ROUTES,
    ]);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.filter((r) => !known.has(r))).toEqual([]);
    expect(Object.keys(ROUTE_POLICIES).filter((r) => !documented.includes(r))).toEqual([]);
  });

  it.skipIf(skip)('applies the GET policies to the implicit HEAD routes too', async () => {
    expect((await h.as(undefined, { method: 'HEAD', url: '/todos/' })).statusCode).toBe(401);
    expect((await h.as('nobody', { method: 'HEAD', url: '/todos/' })).statusCode).toBe(403);
    expect((await h.as('bob', { method: 'HEAD', url: '/admin/todos' })).statusCode).toBe(403);
    expect((await h.as('bob', { method: 'HEAD', url: '/todos/' })).statusCode).toBe(200);
    expect((await h.as('admin', { method: 'HEAD', url: '/admin/audit' })).statusCode).toBe(200);
  });

  const cells = (Object.keys(ROUTE_POLICIES) as ProtectedRoute[]).flatMap((route) =>
    CALLERS.flatMap((caller) =>
      TARGETS.map((target) => ({ route, caller, target, status: expected(route, caller, target) })),
    ),
  );

  it.skipIf(skip).each(cells)(
    '$route as $caller on $target → $status',
    async ({ route, caller, target, status }) => {
      const cell = await cellFor(caller);
      const entry = requestOf(route);
      const response = await h.as(
        caller === 'none' ? undefined : caller,
        entry.request(target, cell),
      );
      expect(response.statusCode).toBe(status);
      if (status === 401) {
        // RFC 6750 §3.1: no credentials → a challenge without an error code.
        expect(response.headers['www-authenticate']).toBe(NO_TOKEN_CHALLENGE);
      }
      if (status === 403) {
        expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      if (status === 404) {
        expect(response.json()).toMatchObject({ status: 404, code: 'not_found' });
      }
    },
  );
});
