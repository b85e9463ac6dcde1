import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp } from './support/otp.js';

/**
 * A role removed from the Admin screen, with the provider's clock apart from the API's, over
 * HTTP against the dev IdP's real tokens: the tokens still carrying the role are refused and the
 * next one, without it, passes, whichever way the clocks are apart. The API's clock is moved,
 * not the provider's: the same difference seen from the other side.
 */
describe('removing a role with the provider’s clock ahead of or behind the API’s', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let adminToken: string;
  let tokenEndpoint: string;
  /** The API's clock minus the provider's (both are this machine's clock otherwise). */
  let apiAheadMs = 0;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-role-clocks-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    database = sqliteDatabase();
    api = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        STEP_UP_ACR: '',
        STEP_UP_MAX_AGE_SECONDS: '',
      }),
      { clock: { now: () => new Date(Date.now() + apiAheadMs) } },
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

  const admin = (method: 'PUT' | 'DELETE' | 'POST', url: string, payload?: object) =>
    injectWithToken(api, adminToken, method, url, payload);
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
  const roles = (access: string): string[] =>
    JSON.parse(Buffer.from(access.split('.')[1] ?? '', 'base64url').toString()).realm_access.roles;
  const status = async (token: string, url: string) =>
    (await injectWithToken(api, token, 'GET', url)).statusCode;

  /** A person with `user` and `admin`, signed in: their tokens. */
  const adminPerson = async (username: string) => {
    const created = await admin('POST', '/admin/idp/users', {
      username,
      password: `${username}-secret`,
      temporaryPassword: false,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    for (const role of ['user', 'admin'])
      expect((await admin('PUT', `/admin/idp/users/${id}/roles/${role}`)).statusCode).toBe(200);
    const tokens = await grant({
      grant_type: 'password',
      username,
      password: `${username}-secret`,
    });
    expect(roles(tokens.access)).toContain('admin');
    expect(await status(tokens.access, '/admin/audit?limit=1')).toBe(200);
    return { id, ...tokens };
  };

  it('provider behind by 2 minutes: the token carrying the role is refused, the next one without it passes at once', async () => {
    apiAheadMs = 120_000;
    try {
      const gil = await adminPerson('gil');
      const removed = await admin('DELETE', `/admin/idp/users/${gil.id}/roles/admin`);
      expect(removed.statusCode, removed.body).toBe(200);
      const refused = await injectWithToken(api, gil.access, 'GET', '/todos/');
      expect(refused.statusCode, refused.body).toBe(401);
      expect(refused.json().code).toBe('token_revoked');
      // Issued after the removal, its `iat` 2 minutes before it by the API's clock.
      const next = await grant({ grant_type: 'refresh_token', refresh_token: gil.refresh });
      expect(roles(next.access)).not.toContain('admin');
      expect(await status(next.access, '/todos/')).toBe(200);
      expect(await status(next.access, '/admin/audit?limit=1')).toBe(403);
    } finally {
      apiAheadMs = 0;
    }
  });

  it('provider ahead by 20 s: a token issued before the removal, its iat after it, still carrying the role, is refused', async () => {
    apiAheadMs = -20_000;
    try {
      const hal = await adminPerson('hal');
      const removed = await admin('DELETE', `/admin/idp/users/${hal.id}/roles/admin`);
      expect(removed.statusCode, removed.body).toBe(200);
      for (const url of ['/admin/audit?limit=1', '/todos/']) {
        const refused = await injectWithToken(api, hal.access, 'GET', url);
        expect(refused.statusCode, refused.body).toBe(401);
        expect(refused.json().code).toBe('token_revoked');
      }
      const next = await grant({ grant_type: 'refresh_token', refresh_token: hal.refresh });
      expect(await status(next.access, '/todos/')).toBe(200);
    } finally {
      apiAheadMs = 0;
    }
  });

  it('granting the role back lifts the removal: tokens carrying it pass again, older ones too', async () => {
    const ida = await adminPerson('ida');
    expect((await admin('DELETE', `/admin/idp/users/${ida.id}/roles/admin`)).statusCode).toBe(200);
    expect(await status(ida.access, '/todos/')).toBe(401);
    const granted = await admin('PUT', `/admin/idp/users/${ida.id}/roles/admin`);
    expect(granted.statusCode, granted.body).toBe(200);
    const next = await grant({ grant_type: 'refresh_token', refresh_token: ida.refresh });
    expect(roles(next.access)).toContain('admin');
    expect(await status(next.access, '/admin/audit?limit=1')).toBe(200);
    expect(await status(ida.access, '/admin/audit?limit=1')).toBe(200);
    const audited = await api.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('resource', '=', `idp-user:${ida.id}`)
      .where('action', 'like', 'idp.role.%')
      .execute();
    // The grant that lifted the removal is audited as any grant (one record each).
    const of = (action: string) =>
      audited.filter((r) => r.action === action && r.detail === 'admin');
    expect(of('idp.role.remove')).toHaveLength(1);
    expect(of('idp.role.grant')).toHaveLength(2);
  });
});
