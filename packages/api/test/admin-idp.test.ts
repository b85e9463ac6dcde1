import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { adminOtp } from './support/otp.js';

interface Listening extends Instance {
  readonly url: string;
}

async function listen(instance: Instance): Promise<Listening> {
  await instance.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = instance.app.server.address() as AddressInfo;
  return Object.assign(instance, { url: `http://127.0.0.1:${port}` });
}

/**
 * People, roles and sessions at the dev IdP from the API's admin routes, over real HTTP: the
 * API calls the IdP's Keycloak Admin REST API with the official admin client and its own
 * service account, and the person it creates signs in at the IdP for real.
 */
describe('admin routes for the identity provider (dev IdP, Keycloak profile)', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Listening;
  let tokenEndpoint: string;
  let adminToken: string;

  const passwordGrant = async (username: string, password: string, otp?: string) => {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username,
        password,
        ...(otp && { otp }),
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : undefined,
      type: res.headers.get('content-type'),
    };
  };

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint ?? '';
    database = sqliteDatabase();
    api = await listen(
      await startInstance(
        testConfig(idp, database.config, {
          OIDC_CLIENT_ID: 'todo-api',
          OIDC_CLIENT_SECRET: 'todo-api-secret',
        }),
      ),
    );
    // Admin work needs a second factor (step-up): Keycloak's direct grant takes the code as otp.
    const granted = await passwordGrant('admin', 'admin', adminOtp());
    expect(granted.status).toBe(200);
    adminToken = granted.body.access_token ?? '';
  });

  afterAll(async () => {
    await api?.close();
    if (!idpStopped) await idp?.close();
    await database?.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  let carol2 = '';
  let idpStopped = false;

  it('creates carol2, grants reports:generate; she signs in and opens the reports', async () => {
    const created = await call('POST', '/admin/idp/users', adminToken, {
      username: 'carol2',
      email: 'carol2@example.com',
      firstName: 'Carol',
      lastName: 'Second',
      department: 'engineering',
      password: 'carol2-secret',
      temporaryPassword: false,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      username: 'carol2',
      enabled: true,
      department: 'engineering',
    });
    carol2 = created.body.id;
    for (const role of ['user', 'reports:generate']) {
      const granted = await call('PUT', `/admin/idp/users/${carol2}/roles/${role}`, adminToken);
      expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    }
    const listed = await call('GET', '/admin/idp/users?search=carol2', adminToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: carol2,
        username: 'carol2',
        realmRoles: ['user'],
        permissions: ['reports:generate'],
      }),
    ]);
    expect(listed.body.assignable.permissions).toContain('reports:generate');

    const signedIn = await passwordGrant('carol2', 'carol2-secret');
    expect(signedIn.status).toBe(200);
    const report = await call('GET', '/reports/summary', signedIn.body.access_token ?? '');
    expect(report.status, JSON.stringify(report.body)).toBe(200);

    const audit = await call('GET', '/admin/audit?limit=20', adminToken);
    expect(audit.body.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(['idp.user.create', 'idp.role.grant']),
    );
  });

  it('holds an email verified only when the admin says so: sharing finds that person by it', async () => {
    const people: Record<string, string> = {};
    for (const [username, verified] of [
      ['dana2', true],
      ['erin2', undefined],
    ] as const) {
      const created = await call('POST', '/admin/idp/users', adminToken, {
        username,
        email: `${username}@example.com`,
        ...(verified !== undefined && { emailVerified: verified }),
        password: `${username}-secret`,
        temporaryPassword: false,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      people[username] = created.body.id;
      const granted = await call(
        'PUT',
        `/admin/idp/users/${created.body.id}/roles/user`,
        adminToken,
      );
      expect(granted.status).toBe(200);
      // Signed in, they write once: the API learns of them (and of a verified email).
      const signedIn = await passwordGrant(username, `${username}-secret`);
      const token = signedIn.body.access_token ?? '';
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
      expect(claims.email_verified).toBe(verified === true);
      expect((await call('POST', '/todos/', token, { title: 'hello' })).status).toBe(201);
    }
    const list = await call('POST', '/lists/', adminToken, { name: 'Handbook' });
    expect(list.status).toBe(201);
    const share = (handle: string) =>
      call('PUT', `/lists/${list.body.id}/members/${handle}`, adminToken, { relation: 'viewer' });
    expect((await share('dana2@example.com')).body).toMatchObject({ username: 'dana2' });
    // Without the admin's word the address stays unverified: found by username only.
    expect((await share('erin2@example.com')).status).toBe(404);
    expect((await share('erin2')).status).toBe(200);
    // The admin's word is in the audit record of the creation, and the password is not.
    const audit = await call('GET', '/admin/audit?limit=100', adminToken);
    const created = (audit.body.items as { action: string; resource: string; detail: string }[])
      .filter((i) => i.action === 'idp.user.create')
      .map((i) => [i.resource, JSON.parse(i.detail)]);
    expect(created).toEqual(
      expect.arrayContaining([
        [
          `idp-user:${people.dana2}`,
          {
            username: 'dana2',
            email: 'dana2@example.com',
            emailVerified: true,
            temporaryPassword: false,
          },
        ],
        [
          `idp-user:${people.erin2}`,
          { username: 'erin2', email: 'erin2@example.com', temporaryPassword: false },
        ],
      ]),
    );
    expect(JSON.stringify(audit.body)).not.toContain('-secret');
    // Nothing to verify without an email.
    const refused = await call('POST', '/admin/idp/users', adminToken, {
      username: 'fern2',
      emailVerified: true,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { field: 'body.emailVerified', message: 'needs an email to verify' },
    ]);
  });

  it('finds people by any part of a username, email or name (Keycloak searches prefixes unless told otherwise)', async () => {
    const usernames = async (search: string) => {
      const listed = await call(
        'GET',
        `/admin/idp/users?search=${encodeURIComponent(search)}`,
        adminToken,
      );
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);
      return listed.body.items.map((u: { username: string }) => u.username);
    };
    expect(await usernames('rol2')).toEqual(['carol2']);
    expect(await usernames('CAROL2@EXAMPLE')).toEqual(['carol2']);
    expect(await usernames('example.com')).toEqual(expect.arrayContaining(['alice', 'carol2']));
    // Every word must be found, each in any field.
    expect(await usernames('lice nders')).toEqual(['alice']);
    expect(await usernames('alice brown')).toEqual([]);
  });

  it('disabled, her access token is refused at once and her next sign-in too; "end sessions" ends them at the IdP', async () => {
    const before = await passwordGrant('carol2', 'carol2-secret');
    const token = before.body.access_token ?? '';
    expect((await call('GET', '/me', token)).status).toBe(200);

    const disabled = await call('PATCH', `/admin/idp/users/${carol2}`, adminToken, {
      enabled: false,
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
    // The token the IdP issued before she was disabled is still unexpired: the API refuses it.
    const refused = await call('GET', '/me', token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');
    expect((await passwordGrant('carol2', 'carol2-secret')).status).not.toBe(200);

    const sessions = await call('GET', `/admin/idp/users/${carol2}/sessions`, adminToken);
    expect(sessions.status).toBe(200);

    const ended = await call('POST', `/admin/idp/users/${carol2}/logout`, adminToken);
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body.identityProvider.sessionsEnded).toBe(true);
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 1000) {
      status = (await call('GET', '/me', token)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });

  it("answers a username the IdP's user profile refuses (under 3 characters) with 400 naming the field", async () => {
    const refused = await call('POST', '/admin/idp/users', adminToken, { username: 'ab' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'invalid_request',
      errors: [
        {
          field: 'body.username',
          message: expect.stringContaining('error-invalid-length'),
        },
      ],
    });
  });

  it('answers a taken username with 409 problem details', async () => {
    const taken = await call('POST', '/admin/idp/users', adminToken, { username: 'carol2' });
    expect(taken.status).toBe(409);
    expect(taken.type).toMatch(/^application\/problem\+json/);
    expect(taken.body.code).toBe('conflict');
  });

  it('answers a change to a user the IdP does not have with 404, and records nothing', async () => {
    const before = await call('GET', '/admin/audit?limit=100', adminToken);
    // A local user's id, and a user federated without import (LDAP, a user storage provider),
    // whose Keycloak id is `f:<provider component id>:<external id>`: both are the IdP's to answer.
    for (const unknown of [
      '0b7f8a3e-2f4c-4a53-9a43-1f2e3d4c5b6a',
      'f:6d1f0ad2-5c4e-4d8a-9b1f-3c2e1d0f9a8b:7e2a1b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
    ])
      for (const change of [{ enabled: false }, { department: 'sales' }, { department: null }]) {
        const patched = await call('PATCH', `/admin/idp/users/${unknown}`, adminToken, change);
        expect(patched.status, JSON.stringify(patched.body)).toBe(404);
        expect(patched.type).toMatch(/^application\/problem\+json/);
        expect(patched.body.code).toBe('not_found');
        expect(patched.body.detail).toMatch(/no such user/i);
      }
    const after = await call('GET', '/admin/audit?limit=100', adminToken);
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('refuses a caller without the admin role with 403', async () => {
    const alice = await passwordGrant('alice', 'alice');
    const refused = await call('GET', '/admin/idp/users', alice.body.access_token ?? '');
    expect(refused.status).toBe(403);
  });

  it('revoke also ends the IdP sessions, and says so', async () => {
    const revoked = await call('POST', '/admin/sessions/revoke', adminToken, { sub: carol2 });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.identityProvider).toMatchObject({ sessionsEnded: true });
  });

  it('removes a permission, sets a temporary password and moves her to another department', async () => {
    const removed = await call(
      'DELETE',
      `/admin/idp/users/${carol2}/roles/reports:generate`,
      adminToken,
    );
    expect(removed.status).toBe(200);
    expect(removed.body.permissions).not.toContain('reports:generate');
    const realmRemoved = await call('DELETE', `/admin/idp/users/${carol2}/roles/user`, adminToken);
    expect(realmRemoved.status).toBe(200);
    expect(realmRemoved.body.realmRoles).toEqual([]);
    const unknown = await call('PUT', `/admin/idp/users/${carol2}/roles/no-such-role`, adminToken);
    expect(unknown.status).toBe(404);
    const reset = await call('POST', `/admin/idp/users/${carol2}/reset-password`, adminToken, {
      password: 'temporary-123',
    });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ temporary: true, sessionsEnded: true });
    const moved = await call('PATCH', `/admin/idp/users/${carol2}`, adminToken, {
      department: 'sales',
    });
    // Keycloak's PUT with attributes replaces the whole profile: her email and names stay.
    const kept = { email: 'carol2@example.com', firstName: 'Carol', lastName: 'Second' };
    expect(moved.body).toMatchObject({ department: 'sales', enabled: false, ...kept });
    const noDepartment = await call('PATCH', `/admin/idp/users/${carol2}`, adminToken, {
      department: null,
    });
    expect(noDepartment.body).toMatchObject({ department: null, ...kept });
    const audit = await call('GET', '/admin/audit?limit=50', adminToken);
    expect(audit.body.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(['idp.role.remove', 'idp.password.reset', 'idp.user.update']),
    );
  });

  it('gets a new service-account token when the IdP refuses the cached one (401), and the call succeeds', async () => {
    expect((await call('GET', '/admin/idp/users?search=carol2', adminToken)).status).toBe(200);
    // The same IdP, keys and port, restarted: the token the API holds is no longer honoured
    // although it has not expired by the API's clock.
    const { port } = new URL(idp.url);
    await idp.close();
    idp = await startIdp({ host: '127.0.0.1', port: Number(port), dataDir: idpData });
    const listed = await call('GET', '/admin/idp/users?search=carol2', adminToken);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.items.map((u: { id: string }) => u.id)).toEqual([carol2]);
    // A change too: the refused call did nothing, so it is sent once more.
    await idp.close();
    idp = await startIdp({ host: '127.0.0.1', port: Number(port), dataDir: idpData });
    const enabled = await call('PATCH', `/admin/idp/users/${carol2}`, adminToken, {
      enabled: true,
    });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    expect(enabled.body.enabled).toBe(true);
  });

  it('answers 503 when the IdP is down, and writes no audit record', async () => {
    const before = await api.context.db.kysely.selectFrom('audit_log').selectAll().execute();
    await idp.close();
    idpStopped = true;
    const listed = await call('GET', '/admin/idp/users', adminToken);
    expect(listed.status).toBe(503);
    expect(listed.body).toMatchObject({ code: 'idp_unavailable' });
    const patched = await call('PATCH', `/admin/idp/users/${carol2}`, adminToken, {
      department: 'sales',
    });
    expect(patched.status).toBe(503);
    const after = await api.context.db.kysely.selectFrom('audit_log').selectAll().execute();
    expect(after.length).toBe(before.length);
  });
});
