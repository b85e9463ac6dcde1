import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { relayTo } from './support/admin-relay.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp, passwordGrantToken } from './support/otp.js';

/**
 * The Admin screen's calls about one person tell "no such person" (Keycloak's own 404, "User
 * not found") from "the provider refused" (any other 404: a proxy's page, a wrong
 * IDP_ADMIN_URL), which is a 502 `idp_refused`; neither writes anything.
 */
describe('admin routes for the identity provider: a 404 that is not about the person', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let adminToken: string;
  let bob: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-person-404-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    relay = await relayTo(new URL(idp.issuer).origin);
    database = sqliteDatabase();
    api = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        IDP_ADMIN_URL: `${relay.url}/admin/realms/todo-app`,
      }),
    );
    adminToken = await adminTokenWithOtp(idp.issuer);
    const found = await admin('GET', '/admin/idp/users?search=bob');
    bob = (found.json().items as { id: string; username: string }[]).find(
      (u) => u.username === 'bob',
    )?.id as string;
  });

  afterAll(async () => {
    await api?.close();
    await relay?.close();
    await idp?.close();
    await database?.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  const admin = (
    method: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
  ) => injectWithToken(api, adminToken, method, url, payload);

  /** How many audit records and revocations are stored. */
  const counts = async () =>
    Promise.all(
      (['audit_log', 'revocations'] as const).map(async (table) =>
        Number(
          (
            await api.context.db.kysely
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ),
    );

  const calls = [
    [
      'granting a role',
      'PUT',
      '/roles/reports:generate',
      undefined,
      '^POST .*/role-mappings/clients/',
    ],
    ['removing a role', 'DELETE', '/roles/user', undefined, '^DELETE .*/role-mappings/realm$'],
    [
      'setting a password',
      'POST',
      '/reset-password',
      { password: 'a-temporary-one' },
      '/reset-password$',
    ],
    ['listing the sessions', 'GET', '/sessions', undefined, '/sessions$'],
  ] as const;

  it.each(calls)(
    'answers a proxy 404 to %s with a 502 that writes nothing',
    async (_what, method, suffix, payload, at) => {
      const before = await counts();
      relay.state.notFoundAt = new RegExp(at);
      const res = await admin(method, `/admin/idp/users/${bob}${suffix}`, payload);
      relay.state.notFoundAt = undefined;
      expect(res.statusCode, res.body).toBe(502);
      expect(res.json().code).toBe('idp_refused');
      expect(res.json().detail).toMatch(/without saying that the person is gone .*IDP_ADMIN_URL/);
      expect(await counts()).toEqual(before);
    },
  );

  it.each(calls)(
    "answers the provider's own 404 for the person to %s with a 404 that writes nothing",
    async (_what, method, suffix, payload) => {
      const before = await counts();
      const res = await admin(method, `/admin/idp/users/${randomUUID()}${suffix}`, payload);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().code).toBe('not_found');
      expect(res.json().detail).toMatch(/no such user at the identity provider/);
      expect(await counts()).toEqual(before);
    },
  );

  it('answers a role deleted at the provider since it was looked up with a 404 naming the role', async () => {
    const before = await counts();
    relay.state.notFoundAt = /^POST .*\/role-mappings\/realm$/;
    relay.state.body = { error: 'Role not found' };
    const res = await admin('PUT', `/admin/idp/users/${bob}/roles/user`);
    relay.state.notFoundAt = undefined;
    relay.state.body = undefined;
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().detail).toBe('No role or permission named user');
    expect(await counts()).toEqual(before);
  });

  it('says a change was made when a proxy 404 answers reading the person back, never that there is no such user', async () => {
    const before = await counts();
    relay.state.notFoundAt = new RegExp(`^GET .*/users/${bob}$`);
    const res = await admin('PUT', `/admin/idp/users/${bob}/roles/reports:generate`);
    relay.state.notFoundAt = undefined;
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('idp_refused');
    expect(res.json().detail).toMatch(
      /^The grant of reports:generate was made at the identity provider, but reading the user back failed/,
    );
    // The change was made and is audited; nothing else is written.
    const [audits, revocations] = await counts();
    expect([audits, revocations]).toEqual([(before[0] ?? 0) + 1, before[1]]);
  });

  it('says a temporary password was set, and audits it, when ending the sessions with it is refused', async () => {
    const before = await counts();
    relay.state.notFoundAt = new RegExp(`^POST .*/users/${bob}/logout$`);
    const res = await admin('POST', `/admin/idp/users/${bob}/reset-password`, {
      password: 'a-temporary-one',
    });
    relay.state.notFoundAt = undefined;
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('idp_refused');
    expect(res.json().detail).toMatch(
      /^The temporary password was set, but the person's sessions could not be ended/,
    );
    const [audits, revocations] = await counts();
    expect([audits, revocations]).toEqual([(before[0] ?? 0) + 1, before[1]]);
    const record = await api.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('resource', '=', `idp-user:${bob}`)
      .orderBy('at', 'desc')
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ action: 'idp.password.reset', detail: 'sessions not ended' });
  });

  /** `revocations_total{kind="subject",source="admin"}` from GET /metrics. */
  const adminRevocations = async () => {
    const metrics = await api.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    const found = /revocations_total\{kind="subject",source="admin"\} (\d+)/.exec(metrics.body);
    return Number(found?.[1] ?? 0);
  };

  it('counts in /metrics every revocation of disabling a person, deleted at the provider or unconfirmed', async () => {
    // A person the API has seen, then deleted at the provider: disabling them refuses their tokens.
    const created = await admin('POST', '/admin/idp/users', {
      username: 'gone-counted',
      password: 'gone-counted',
      temporaryPassword: false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await admin('PUT', `/admin/idp/users/${id}/roles/user`)).statusCode).toBe(200);
    const token = await passwordGrantToken(idp.issuer, 'gone-counted');
    expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
    relay.state.notFoundAt = new RegExp(`/users/${id}$`);
    relay.state.body = { error: 'User not found' };
    const before = await adminRevocations();
    const gone = await admin('PATCH', `/admin/idp/users/${id}`, { enabled: false });
    relay.state.notFoundAt = undefined;
    relay.state.body = undefined;
    expect(gone.statusCode, gone.body).toBe(200);
    expect(gone.json().gone).toBe(true);
    expect(await adminRevocations()).toBe(before + 1);

    // The provider's answer to disabling bob lost: his tokens are refused all the same, counted.
    relay.state.loseAnswerOf = new RegExp(`^PUT .*/users/${bob}$`);
    const lost = await admin('PATCH', `/admin/idp/users/${bob}`, { enabled: false });
    relay.state.loseAnswerOf = undefined;
    expect(lost.statusCode, lost.body).toBe(503);
    expect(await adminRevocations()).toBe(before + 2);

    // Ending sessions counts as before.
    const ended = await admin('POST', `/admin/idp/users/${bob}/logout`);
    expect(ended.statusCode, ended.body).toBe(200);
    expect(await adminRevocations()).toBe(before + 3);
  });
});
