import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routePolicies } from '../src/authz/catalogue.js';
import { PERMISSIONS } from '../src/authz/permissions.js';

interface RealmRole {
  name: string;
  composites?: { realm?: string[]; client?: Record<string, string[]> };
}
interface Realm {
  roles: { realm: RealmRole[]; client: Record<string, RealmRole[]> };
  users: {
    username: string;
    serviceAccountClientId?: string;
    clientRoles?: Record<string, string[]>;
  }[];
}

const realm = JSON.parse(
  readFileSync(new URL('../../../deploy/keycloak/realm-todo-app.json', import.meta.url), 'utf8'),
) as Realm;

describe('the permission table', () => {
  it('lists the todo-api permissions', () => {
    expect(PERMISSIONS.all).toEqual([
      'todos:read',
      'todos:write',
      'reports:generate',
      'users:manage',
      'authz:evaluate',
    ]);
    expect(PERMISSIONS.has('todos:read')).toBe(true);
    expect(PERMISSIONS.has('todos:delete')).toBe(false);
  });

  it('is exactly the todo-api client roles of the realm file', () => {
    const clientRoles = (realm.roles.client['todo-api'] ?? []).map((r) => r.name);
    expect([...clientRoles].sort()).toEqual([...PERMISSIONS.all].sort());
  });

  it('grants authz:evaluate to the admin realm role and to the todo-api service account', () => {
    const adminRole = realm.roles.realm.find((r) => r.name === 'admin');
    expect(adminRole?.composites?.client?.['todo-api']).toContain('authz:evaluate');
    const serviceAccount = realm.users.find((u) => u.serviceAccountClientId === 'todo-api');
    expect(serviceAccount?.clientRoles?.['todo-api']).toContain('authz:evaluate');
    expect(serviceAccount?.clientRoles?.['realm-management']).toEqual(
      expect.arrayContaining(['view-users', 'manage-users', 'query-groups', 'view-clients']),
    );
  });

  it('is what every route declares: no route names a permission outside it', async () => {
    const named = Object.values(await routePolicies()).flatMap((p) => p.permission ?? []);
    expect(named.filter((p) => !PERMISSIONS.has(p))).toEqual([]);
  });
});
