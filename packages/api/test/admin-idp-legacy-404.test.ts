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
import { adminTokenWithOtp } from './support/otp.js';

/**
 * Older Keycloak releases answer a person they do not have with
 * `{"error":"invalid_request","error_description":"User not found"}` (their error handler put a
 * message that is not an OAuth error code under `error_description`): the Admin screen's calls
 * about one person take it for "no such person" (404) as they do current releases'
 * `{"error":"User not found"}`, and only that exact shape; any other 404 stays a 502.
 */
describe('admin routes for the identity provider: an older Keycloak answering a person it does not have', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let adminToken: string;
  let bob: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-legacy-404-'));
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      dataDir: seedKeys(idpData),
      legacyAdminErrors: true,
    });
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
    expect(found.statusCode, found.body).toBe(200);
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
    ['disabling', 'PATCH', '', { enabled: false }],
    ['moving to a department', 'PATCH', '', { department: 'sales' }],
    ['granting a role', 'PUT', '/roles/reports:generate', undefined],
    ['removing a role', 'DELETE', '/roles/user', undefined],
    ['setting a password', 'POST', '/reset-password', { password: 'a-temporary-one' }],
    ['listing the sessions', 'GET', '/sessions', undefined],
    ['ending the sessions', 'POST', '/logout', undefined],
  ] as const;

  it.each(calls)(
    "answers the provider's older 404 for the person to %s with a 404 that writes nothing",
    async (_what, method, suffix, payload) => {
      const before = await counts();
      const res = await admin(method, `/admin/idp/users/${randomUUID()}${suffix}`, payload);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().code).toBe('not_found');
      expect(res.json().detail).toMatch(/no such user at the identity provider/);
      expect(await counts()).toEqual(before);
    },
  );

  it.each([
    [
      'with another member',
      { error: 'invalid_request', error_description: 'User not found', x: 1 },
    ],
    ['about something else', { error: 'invalid_request', error_description: 'Realm not found' }],
    ['with another error code', { error: 'unknown_error', error_description: 'User not found' }],
  ])('answers a 404 in the older shape %s with a 502 that writes nothing', async (_what, body) => {
    const before = await counts();
    relay.state.notFoundAt = new RegExp(`^PUT .*/users/${bob}$`);
    relay.state.body = body;
    const res = await admin('PATCH', `/admin/idp/users/${bob}`, { department: 'sales' });
    relay.state.notFoundAt = undefined;
    relay.state.body = undefined;
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('idp_refused');
    expect(await counts()).toEqual(before);
  });
});
