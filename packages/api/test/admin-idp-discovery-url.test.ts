import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp } from './support/otp.js';

/**
 * Without IDP_ADMIN_URL the Keycloak Admin REST API is found where the API reaches the realm:
 * OIDC_DISCOVERY_URL in each form the key loader accepts (the realm's URL, its discovery
 * document's URL, or the server's origin alone, which keeps the issuer's path), else the issuer.
 * The dev IdP serves both the realm and the admin API on one origin, as Keycloak does.
 */
describe('the identity provider admin API found from OIDC_DISCOVERY_URL', () => {
  let idp: RunningIdp;
  let idpData: string;
  let adminToken: string;
  const databases: TestDatabase[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-alias-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: idpData });
    adminToken = await adminTokenWithOtp(idp.issuer);
  });

  afterAll(async () => {
    for (const i of instances) await i.close();
    for (const d of databases) await d.drop();
    await idp?.close();
    rmSync(idpData, { recursive: true, force: true });
  });

  it.each([
    ['the realm URL', () => idp.issuer],
    ['the discovery document URL', () => `${idp.issuer}/.well-known/openid-configuration`],
    ['the origin alone', () => new URL(idp.issuer).origin],
  ])('%s', async (_form, discoveryUrl) => {
    const database = sqliteDatabase();
    databases.push(database);
    const instance = await startInstance(
      testConfig(idp, database.config, {
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        OIDC_DISCOVERY_URL: discoveryUrl(),
      }),
    );
    instances.push(instance);
    const res = await instance.app.inject({
      method: 'GET',
      url: '/admin/idp/users',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'alice' })]),
    );
  });
});
