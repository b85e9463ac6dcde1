import { alice } from '@todo-sso/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRunningApi } from './support/harness.js';

/**
 * The AuthZEN API reads a subject's admin role as the REST routes read the token's: the
 * issuer's configured one (`OIDC_ADMIN_ROLE`), never a fixed `admin`. Over a real socket, with
 * tokens signed by the test issuer.
 */
const stack = useRunningApi({ OIDC_ADMIN_ROLE: 'todo-admin' });

function call(token: string, method: string, path: string, body: unknown) {
  return fetch(`${stack.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('AuthZEN with OIDC_ADMIN_ROLE set', () => {
  let pep: string;
  let list: string;
  beforeAll(async () => {
    const created = await call(await stack.idp.accessToken(alice), 'POST', '/lists/', {
      name: 'admin role',
    });
    expect(created.status).toBe(201);
    list = ((await created.json()) as { id: string }).id;
    pep = await stack.idp.accessToken({
      sub: 'service-account-todo-api',
      username: 'service-account-todo-api',
      roles: [],
      permissions: ['authz:evaluate'],
    });
  });

  /** Whether alice, the list's owner stating no permission and `roles`, may update it. */
  const mayUpdate = async (roles: string[]) => {
    const res = await call(pep, 'POST', '/access/v1/evaluation', {
      subject: { type: 'user', id: alice.sub, properties: { roles, permissions: [] } },
      action: { name: 'can_update' },
      resource: { type: 'list', id: list },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { decision: boolean }).decision;
  };

  it('counts the configured admin role, whose holder needs no permission, as the routes do', async () => {
    expect(await mayUpdate(['todo-admin'])).toBe(true);
  });

  it('does not count a role named admin that is not the configured one', async () => {
    expect(await mayUpdate(['admin'])).toBe(false);
    expect(await mayUpdate([])).toBe(false);
  });
});
