import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp } from './support/otp.js';

/**
 * A role removed from the Admin screen holds at once, over HTTP against the dev IdP (Keycloak
 * profile): the person's current access tokens, which still carry it, are refused here, and the
 * token their client gets by refreshing, without it, is accepted at once. Ending the sessions of
 * someone the API has never seen works as for anyone else.
 */
describe('admin routes for the identity provider: removing a role, ending unknown sessions', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let adminToken: string;
  let tokenEndpoint: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-role-removal-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    database = sqliteDatabase();
    // Admin work without step-up here, so that a person without a second factor can do it.
    api = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        STEP_UP_ACR: '',
        STEP_UP_MAX_AGE_SECONDS: '',
      }),
    );
    adminToken = await adminTokenWithOtp(idp.issuer);
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint ?? '';
  });

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    injectWithToken(api, adminToken, method, url, payload);

  /** Tokens from the IdP's token endpoint for the CLI client (a password or refresh grant). */
  const grant = async (params: Record<string, string>) => {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'todo-cli', ...params }),
    });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return { access: body.access_token ?? '', refresh: body.refresh_token ?? '' };
  };
  const signIn = (username: string, password: string) =>
    grant({ grant_type: 'password', username, password });

  const person = async (username: string) => {
    const found = await admin('GET', `/admin/idp/users?search=${username}`);
    const items = found.json().items as { id: string; username: string }[];
    const user = items.find((u) => u.username === username);
    if (user === undefined) throw new Error(`no ${username}`);
    return user.id;
  };

  it('refuses the tokens still carrying a removed role at once; the refreshed token, without it, works', async () => {
    const created = await admin('POST', '/admin/idp/users', {
      username: 'dora',
      password: 'dora-secret',
      temporaryPassword: false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const dora = created.json().id as string;
    for (const role of ['user', 'admin'])
      expect((await admin('PUT', `/admin/idp/users/${dora}/roles/${role}`)).statusCode).toBe(200);

    const before = await signIn('dora', 'dora-secret');
    const asDora = (token: string, url: string) => injectWithToken(api, token, 'GET', url);
    expect((await asDora(before.access, '/admin/audit?limit=1')).statusCode).toBe(200);

    // Granting needs nothing: her token goes on working.
    expect((await admin('PUT', `/admin/idp/users/${dora}/roles/reports:generate`)).statusCode).toBe(
      200,
    );
    expect((await asDora(before.access, '/todos/')).statusCode).toBe(200);
    const audits = async () =>
      api.context.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'detail'])
        .where('resource', '=', `idp-user:${dora}`)
        .where('action', '=', 'idp.role.remove')
        .execute();
    expect(await audits()).toEqual([]);

    const removed = await admin('DELETE', `/admin/idp/users/${dora}/roles/admin`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().realmRoles).toEqual(['user']);

    // The same token, still carrying admin, is refused, for admin work and the rest alike.
    for (const url of ['/admin/audit?limit=1', '/todos/']) {
      const refused = await asDora(before.access, url);
      expect(refused.statusCode, refused.body).toBe(401);
      expect(refused.json().code).toBe('token_revoked');
      // RFC 6750 §3.1 `invalid_token`: what the CLI refreshes on (the web app on any 401).
      expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
    // Audited once, with the change.
    expect(await audits()).toEqual([{ action: 'idp.role.remove', detail: 'admin' }]);

    // Her client refreshes (as the web app and the CLI do on a 401): the new token, without
    // admin, is accepted at once, even issued in the same second as the removal (no `iat` is
    // compared), and admin work is refused as for any user.
    const refreshed = await grant({ grant_type: 'refresh_token', refresh_token: before.refresh });
    const claims = JSON.parse(
      Buffer.from(refreshed.access.split('.')[1] ?? '', 'base64url').toString(),
    );
    expect(claims.realm_access.roles).not.toContain('admin');
    expect((await asDora(refreshed.access, '/todos/')).statusCode).toBe(200);
    expect((await asDora(refreshed.access, '/admin/audit?limit=1')).statusCode).toBe(403);
    const signedIn = await signIn('dora', 'dora-secret');
    expect((await asDora(signedIn.access, '/todos/')).statusCode).toBe(200);
  });

  it('removing a role the provider does not have is a 404 that refuses nothing', async () => {
    const id = await person('alice');
    const token = (await signIn('alice', 'alice')).access;
    expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
    const res = await admin('DELETE', `/admin/idp/users/${id}/roles/no-such-role`);
    expect(res.statusCode, res.body).toBe(404);
    expect((await injectWithToken(api, token, 'GET', '/todos/')).statusCode).toBe(200);
  });

  it('ends the sessions of a person the API has never seen: ended at the provider, their tokens refused', async () => {
    const id = await person('carol');
    const held = await signIn('carol', 'carol');
    expect(await ownerRepository(api.context.db).known({ issuer: idp.issuer, subject: id })).toBe(
      false,
    );
    const ended = await admin('POST', `/admin/idp/users/${id}/logout`);
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json().identityProvider.sessionsEnded).toBe(true);
    expect(ended.json().revoked).toEqual([expect.objectContaining({ sub: id })]);
    const refused = await injectWithToken(api, held.access, 'GET', '/todos/');
    expect(refused.statusCode, refused.body).toBe(401);
    // Ended at the provider: her refresh token no longer works.
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'todo-cli',
        grant_type: 'refresh_token',
        refresh_token: held.refresh,
      }),
    });
    expect(res.status).toBe(400);
  });
});
