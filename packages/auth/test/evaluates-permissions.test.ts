import {
  AuthError,
  authErrorResponse,
  can,
  canAccessAttribute,
  definePermissions,
  type Principal,
  requirePermission,
  requireRole,
  scopeToAttribute,
} from '@todo-sso/auth';
import { describe, expect, test } from 'vitest';
import { expectAuthFailure } from './support.js';

function principal(overrides: Partial<Principal>): Principal {
  return {
    issuer: 'https://idp',
    subject: 'sub',
    roles: ['user'],
    permissions: ['todos:read', 'todos:write'],
    scopes: [],
    attributes: { department: 'engineering' },
    claims: {},
    expiresAt: 0,
    isAdmin: false,
    ...overrides,
  };
}

const user = principal({});
const admin = principal({ roles: ['admin'], permissions: [], attributes: {}, isAdmin: true });

describe('permission table', () => {
  test('has() tells a permission of the table from any other string', () => {
    const table = definePermissions({ todos: ['read', 'write'] } as const);
    expect(table.has('todos:read')).toBe(true);
    expect(table.has('todos:delete')).toBe(false);
  });

  test('definePermissions flattens any table', () => {
    expect(definePermissions({ invoices: ['pay'] } as const).all).toEqual(['invoices:pay']);
  });
});

describe('can / requirePermission / requireRole', () => {
  test('can() is true only for held permissions, and always for admins', () => {
    expect(can(user, 'todos:read')).toBe(true);
    expect(can(user, 'reports:generate')).toBe(false);
    expect(can(admin, 'users:manage')).toBe(true);
  });

  test('requirePermission names every missing permission in one 403 insufficient_permission', async () => {
    const e = await expectAuthFailure(
      (async () => requirePermission(user, 'todos:read', 'reports:generate', 'users:manage'))(),
      'insufficient_permission',
      403,
    );
    expect(e.missing).toEqual(['reports:generate', 'users:manage']);
    const response = authErrorResponse(e, { realm: 'todo-api' });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="todo-api", error="insufficient_scope", error_description="Missing permission: reports:generate, users:manage", scope="reports:generate users:manage"',
    );
    expect(response.body).toMatchObject({
      status: 403,
      code: 'insufficient_permission',
      missing: ['reports:generate', 'users:manage'],
    });
  });

  test('requirePermission passes for admins whatever they hold', () => {
    expect(() => requirePermission(admin, 'users:manage', 'reports:generate')).not.toThrow();
  });

  test('requireRole refuses a missing role with 403 and lets admins through', async () => {
    await expectAuthFailure(
      (async () => requireRole(user, 'admin'))(),
      'insufficient_permission',
      403,
    );
    expect(() => requireRole(user, 'user')).not.toThrow();
    expect(() => requireRole(admin, 'user')).not.toThrow();
  });
});

describe('attribute scoping (non-admins only for their own department)', () => {
  test('a non-admin gets their own department by default and may ask for it', () => {
    expect(scopeToAttribute(user, 'department', undefined)).toBe('engineering');
    expect(scopeToAttribute(user, 'department', 'engineering')).toBe('engineering');
    expect(canAccessAttribute(user, 'department', 'engineering')).toBe(true);
  });

  test('a non-admin asking for another department gets 403 insufficient_permission', async () => {
    const e = await expectAuthFailure(
      (async () => scopeToAttribute(user, 'department', 'sales'))(),
      'insufficient_permission',
      403,
    );
    expect(e.missing).toEqual(['department:sales']);
    expect(canAccessAttribute(user, 'department', 'sales')).toBe(false);
  });

  test('a non-admin without a department gets 403', async () => {
    await expectAuthFailure(
      (async () => scopeToAttribute(principal({ attributes: {} }), 'department', undefined))(),
      'insufficient_permission',
      403,
    );
  });

  test('an admin may ask for any department, or all of them', () => {
    expect(scopeToAttribute(admin, 'department', 'sales')).toBe('sales');
    expect(scopeToAttribute(admin, 'department', undefined)).toBeUndefined();
  });
});

describe('authErrorResponse', () => {
  test('no token: 401 with a bare Bearer challenge and a problem body', () => {
    const r = authErrorResponse(new AuthError('token_missing', 'No bearer token was sent'), {
      realm: 'todo-api',
    });
    expect(r).toEqual({
      status: 401,
      headers: {
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
        'www-authenticate': 'Bearer realm="todo-api"',
      },
      body: {
        type: 'urn:todo-sso:problem:token-missing',
        title: 'Unauthorized',
        status: 401,
        detail: 'No bearer token was sent',
        code: 'token_missing',
      },
    });
  });

  test('a bad token: 401 invalid_token whose description never carries quotes or backslashes', () => {
    const r = authErrorResponse(new AuthError('token_malformed', 'The "exp" claim \\ is bad\n'), {
      realm: 'api',
    });
    expect(r.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="invalid_token", error_description="The 'exp' claim ' is bad "`,
    );
  });

  test('an IdP outage: 503 with Retry-After and no challenge', () => {
    const r = authErrorResponse(new AuthError('idp_unavailable', 'down'), { realm: 'todo-api' });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.headers['www-authenticate']).toBeUndefined();
  });

  test('a token in the query: 400 invalid_request', () => {
    const r = authErrorResponse(new AuthError('request_invalid', 'Use the header'), {
      realm: 'todo-api',
    });
    expect(r.status).toBe(400);
    expect(r.headers['www-authenticate']).toBe(
      'Bearer realm="todo-api", error="invalid_request", error_description="Use the header"',
    );
  });

  test('statusCode mirrors status for Fastify', () => {
    const e = new AuthError('token_expired', 'expired', { cause: new Error('inner') });
    expect([e.status, e.statusCode, e.cause instanceof Error]).toEqual([401, 401, true]);
  });
});
