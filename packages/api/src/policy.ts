/**
 * Who may call what: one table, keyed by `METHOD path` exactly as the routes are registered.
 * The protected part of the app refuses to register a route missing from it, and the
 * authorization matrix test is generated from it. `{}` means any valid token.
 */
export const ROUTE_POLICIES = {
  'GET /todos/': { permission: 'todos:read' },
  'POST /todos/': { permission: 'todos:write' },
  'GET /todos/:id': { permission: 'todos:read' },
  'PUT /todos/:id': { permission: 'todos:write' },
  'PATCH /todos/:id': { permission: 'todos:write' },
  'DELETE /todos/:id': { permission: 'todos:write' },
  'GET /lists/': { permission: 'todos:read' },
  'POST /lists/': { permission: 'todos:write' },
  'GET /lists/:id': { permission: 'todos:read' },
  'PATCH /lists/:id': { permission: 'todos:write' },
  'DELETE /lists/:id': { permission: 'todos:write' },
  'GET /lists/:id/todos/': { permission: 'todos:read' },
  'POST /lists/:id/todos/': { permission: 'todos:write' },
  'GET /lists/:id/members': { permission: 'todos:read' },
  'PUT /lists/:id/members/:username': { permission: 'todos:write' },
  'DELETE /lists/:id/members/:username': { permission: 'todos:write' },
  'GET /me': {},
  'GET /reports/summary': { permission: 'reports:generate' },
  'GET /admin/users': { permission: 'users:manage' },
  'GET /admin/todos': { admin: true },
  'GET /admin/audit': { admin: true },
  'POST /admin/sessions/revoke': { admin: true },
  'GET /admin/idp/users': { admin: true },
  'POST /admin/idp/users': { admin: true },
  'PATCH /admin/idp/users/:id': { admin: true },
  'PUT /admin/idp/users/:id/roles/:role': { admin: true },
  'DELETE /admin/idp/users/:id/roles/:role': { admin: true },
  'POST /admin/idp/users/:id/reset-password': { admin: true },
  'GET /admin/idp/users/:id/sessions': { admin: true },
  'POST /admin/idp/users/:id/logout': { admin: true },
  'POST /access/v1/evaluation': { permission: 'authz:evaluate' },
  'POST /access/v1/evaluations': { permission: 'authz:evaluate' },
  'POST /access/v1/search/subject': { permission: 'authz:evaluate' },
  'POST /access/v1/search/resource': { permission: 'authz:evaluate' },
  'POST /access/v1/search/action': { permission: 'authz:evaluate' },
} as const satisfies Record<string, RoutePolicy>;

/** Routes that need no access token (the logout receiver authenticates its logout token). */
export const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /.well-known/authzen-configuration',
  'POST /auth/backchannel-logout',
] as const;

/** What one route requires: a permission, the admin role, or (empty) any valid token. */
export interface RoutePolicy {
  readonly permission?: string;
  readonly admin?: true;
}

export type ProtectedRoute = keyof typeof ROUTE_POLICIES;

/** The policy of a route, or undefined when the table has none. */
export function policyOf(route: string): RoutePolicy | undefined {
  return (ROUTE_POLICIES as Record<string, RoutePolicy>)[route];
}

/** The route `config` carrying a route's policy, enforced by the guard of the protected context. */
export function authConfig(route: ProtectedRoute): { policy: RoutePolicy; route: ProtectedRoute } {
  return { policy: ROUTE_POLICIES[route], route };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on protected routes from {@link ROUTE_POLICIES}. */
    policy?: RoutePolicy;
    route?: string;
  }
}
