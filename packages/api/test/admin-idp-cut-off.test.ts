import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { relayTo } from './support/admin-relay.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp, passwordGrantToken } from './support/otp.js';

/**
 * Disabling a person and ending their sessions cut them off at once: their current access
 * tokens are refused at the API. When the identity provider's answer to the change is lost, it
 * may have made the change, and the admin who reloads sees it made and has no reason to try
 * again: the API refuses the person's tokens all the same (fail closed), and says so.
 */
describe('admin routes for the identity provider: cutting a person off when the answer is lost', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let adminToken: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-cut-off-'));
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
  });

  afterAll(async () => {
    await api?.close();
    await relay?.close();
    await idp?.close();
    await database?.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  const admin = (method: 'GET' | 'PATCH' | 'POST' | 'PUT', url: string, payload?: object) =>
    injectWithToken(api, adminToken, method, url, payload);
  const person = async (username: string) => {
    const found = await admin('GET', `/admin/idp/users?search=${username}`);
    const items = found.json().items as { id: string; username: string; enabled: boolean }[];
    const user = items.find((u) => u.username === username);
    if (user === undefined) throw new Error(`no ${username}`);
    return user;
  };
  const auditOf = (action: string, id: string) =>
    api.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('action', '=', action)
      .where('resource', '=', `idp-user:${id}`)
      .execute();

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

  it.each([
    [
      'disabling',
      'carol',
      'PATCH',
      '',
      { enabled: false },
      'idp.user.update',
      '^PUT .*/users/{id}$',
    ],
    [
      'ending the sessions of',
      'bob',
      'POST',
      '/logout',
      undefined,
      'idp.sessions.end',
      '/users/{id}/logout$',
    ],
  ] as const)(
    'refuses the current tokens of a person after %s them when the answer is lost',
    async (_what, username, method, suffix, payload, action, lost) => {
      const token = await passwordGrantToken(idp.issuer, username);
      expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
      const { id } = await person(username);

      relay.state.loseAnswerOf = new RegExp(lost.replace('{id}', id));
      const res = await admin(method, `/admin/idp/users/${id}${suffix}`, payload);
      relay.state.loseAnswerOf = undefined;
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().detail).toMatch(/may have been made/);
      expect(res.json().detail).toMatch(/current access tokens are refused/);

      const after = await injectWithToken(api, token, 'GET', '/todos/');
      expect(after.statusCode, after.body).toBe(401);
      const [record, ...more] = await auditOf(action, id);
      expect(more).toEqual([]);
      expect(record?.detail).toMatch(/unconfirmed by the identity provider/);
    },
  );
  /**
   * A person the API has seen (their first list read) with an access token, then deleted in
   * the provider's console: the token it issued them stays valid.
   */
  const knownThenDeleted = async (username: string) => {
    const created = await admin('POST', '/admin/idp/users', {
      username,
      password: username,
      temporaryPassword: false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect((await admin('PUT', `/admin/idp/users/${id}/roles/user`)).statusCode).toBe(200);
    const token = await passwordGrantToken(idp.issuer, username);
    expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
    const service = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'todo-api',
        client_secret: 'todo-api-secret',
      }),
    });
    const serviceToken = ((await service.json()) as { access_token: string }).access_token;
    const deleted = await fetch(`${new URL(idp.issuer).origin}/admin/realms/todo-app/users/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${serviceToken}` },
    });
    expect(deleted.status).toBe(204);
    return { id, token };
  };

  it('refuses the current tokens of a person the API knows and the provider deleted, ending their sessions', async () => {
    const { id, token } = await knownThenDeleted('deleted-ended');
    const res = await admin('POST', `/admin/idp/users/${id}/logout`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      identityProvider: { sessionsEnded: false },
      revoked: [{ issuer: idp.issuer, sub: id }],
    });
    expect(res.json().identityProvider.detail).toMatch(/no longer has this person/);
    expect(res.json().identityProvider.detail).toMatch(/access tokens .* are refused here/);
    const after = await injectWithToken(api, token, 'GET', '/todos/');
    expect(after.statusCode, after.body).toBe(401);
    const [record, ...more] = await auditOf('idp.sessions.end', id);
    expect(more).toEqual([]);
    expect(record?.detail).toBe('no such person at the identity provider');
  });

  it('refuses the current tokens of a person the API knows and the provider deleted, disabling them', async () => {
    const { id, token } = await knownThenDeleted('deleted-disabled');
    // Enabling or moving someone gone is a plain 404 that writes nothing.
    const before = await counts();
    for (const payload of [{ enabled: true }, { department: 'Sales' }]) {
      const refused = await admin('PATCH', `/admin/idp/users/${id}`, payload);
      expect(refused.statusCode, refused.body).toBe(404);
      expect(refused.json().code).toBe('not_found');
    }
    expect(await counts()).toEqual(before);
    expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);

    const res = await admin('PATCH', `/admin/idp/users/${id}`, { enabled: false });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id,
      gone: true,
      detail: expect.stringMatching(
        /no longer has this person .*access tokens .* are refused here/,
      ),
      revoked: [{ issuer: idp.issuer, sub: id, notBefore: expect.any(String) }],
    });
    const after = await injectWithToken(api, token, 'GET', '/todos/');
    expect(after.statusCode, after.body).toBe(401);
    const [record, ...more] = await auditOf('idp.user.update', id);
    expect(more).toEqual([]);
    expect(record?.detail).toBe('{"enabled":false} (no such person at the identity provider)');
  });

  it.each([
    ['ending the sessions', 'POST', '/logout', undefined, '/logout$'],
    ['disabling', 'PATCH', '', { enabled: false }, '$'],
  ] as const)(
    'does not take a 404 the provider did not give for a person deleted there, %s',
    async (_what, method, suffix, payload, at) => {
      const token = await passwordGrantToken(idp.issuer, 'testuser');
      expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
      const { id } = await person('testuser');
      const before = await counts();
      // A proxy (or a wrong IDP_ADMIN_URL) answers the call with its own 404 page: nothing says
      // the person is gone, and nothing was done to them at the provider.
      relay.state.notFoundAt = new RegExp(`/users/${id}${at}`);
      const res = await admin(method, `/admin/idp/users/${id}${suffix}`, payload);
      relay.state.notFoundAt = undefined;
      expect(res.statusCode, res.body).toBe(502);
      expect(res.json().code).toBe('idp_refused');
      expect(res.json().detail).toMatch(/IDP_ADMIN_URL/);
      expect(await counts()).toEqual(before);
      expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
    },
  );

  it.each([
    ['ending the sessions of', 'POST', '/logout', undefined],
    ['disabling', 'PATCH', '', { enabled: false }],
  ] as const)(
    'answers %s an id neither the provider nor the API knows with a 404 that changes nothing',
    async (_what, method, suffix, payload) => {
      const before = await counts();
      const res = await admin(method, `/admin/idp/users/${randomUUID()}${suffix}`, payload);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().code).toBe('not_found');
      expect(await counts()).toEqual(before);
    },
  );

  it('never says a person was disabled when the provider did not confirm it and the record failed', async () => {
    const { id } = await person('testuser');
    const { kysely } = api.context.db;
    await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log refused'); END`.execute(
      kysely,
    );
    try {
      relay.state.loseAnswerOf = new RegExp(`^PUT .*/users/${id}$`);
      const res = await admin('PATCH', `/admin/idp/users/${id}`, { enabled: false });
      relay.state.loseAnswerOf = undefined;
      expect(res.statusCode, res.body).toBe(500);
      expect(res.json().detail).toMatch(
        /^The person may have been disabled at the identity provider/,
      );
      expect(res.json().detail).toMatch(/not refused here yet, so disable them again/);
    } finally {
      relay.state.loseAnswerOf = undefined;
      await sql`DROP TRIGGER refuse_audit`.execute(kysely);
    }
  });
});
