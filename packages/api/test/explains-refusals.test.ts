import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config.js';
import { loadConfig } from '../src/config/load.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

describe('AUTH_EXPLAIN: expected and received values in refusals', () => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let explaining: Instance;
  let silent: Instance;
  let deployed: Instance;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    database = sqliteDatabase();
    explaining = await startInstance(testConfig(idp, database.config));
    silent = await startInstance(testConfig(idp, database.config, { AUTH_EXPLAIN: 'false' }));
    // One instance on its SQLite file on purpose: a deployment, not the development setup.
    deployed = await startInstance(testConfig(idp, database.config, { ALLOW_SQLITE: 'true' }));
  });
  afterAll(async () => {
    await explaining?.close();
    await silent?.close();
    await deployed?.close();
    await idp?.close();
    await database?.drop();
  });

  const get = (api: Instance, token: string, url = '/me') =>
    api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('is on by default in the development setup only; AUTH_EXPLAIN overrides both ways', () => {
    expect(loadConfig({}).authExplain).toBe(true);
    // SQLite outside development (the API image sets NODE_ENV=production) names no issuer either.
    expect(loadConfig({ NODE_ENV: 'production' }).authExplain).toBe(false);
    expect(loadConfig({ ALLOW_SQLITE: 'true' }).authExplain).toBe(false);
    expect(loadConfig({ ALLOW_SQLITE: 'false', NODE_ENV: 'development' }).authExplain).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_EXPLAIN: 'true' }).authExplain).toBe(true);
    const pg = { DATABASE_URL: 'postgres://u:p@db/todo', OIDC_ISSUER: 'https://sso.example.com' };
    expect(loadConfig(pg).authExplain).toBe(false);
    expect(loadConfig({ ...pg, AUTH_EXPLAIN: 'true' }).authExplain).toBe(true);
    expect(loadConfig({ AUTH_EXPLAIN: 'false' }).authExplain).toBe(false);
    expect(() => loadConfig({ AUTH_EXPLAIN: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_EXPLAIN: 'yes' })).toThrow(/^AUTH_EXPLAIN: /);
  });

  it('names the expected audience and the token’s aud in a 401 audience_mismatch', async () => {
    const token = await idp.accessToken(alice, { claims: { aud: 'account' } });
    const res = await get(explaining, token);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.json()).toMatchObject({
      code: 'audience_mismatch',
      expected: 'todo-api',
      received: 'account',
    });
    for (const part of token.split('.')) expect(res.body).not.toContain(part);
  });

  it('names the trusted issuer and the token’s iss in a 401 issuer_unknown', async () => {
    const other = await startTestIssuer({ profile: 'keycloak' });
    try {
      const res = await get(explaining, await other.accessToken(alice));
      expect(res.json()).toMatchObject({
        code: 'issuer_unknown',
        expected: idp.issuer,
        received: other.issuer,
      });
    } finally {
      await other.close();
    }
  });

  it('says an ID token is not the access token in a 401 token_type_invalid', async () => {
    const res = await get(explaining, await idp.idToken(alice));
    expect(res.json()).toMatchObject({
      code: 'token_type_invalid',
      expected: 'the access_token of the token response',
      received: 'an ID token (aud todo-ui)',
    });
  });

  it('names the permissions claim and what it held in a 403 claim-mapping refusal', async () => {
    const token = await idp.accessToken(alice, { claims: { resource_access: undefined } });
    const res = await get(explaining, token, '/todos/');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'insufficient_permission',
      expected: 'resource_access.todo-api.roles containing todos:read',
      received: '(absent or empty)',
    });
  });

  it('adds nothing with AUTH_EXPLAIN=false, and nothing to refusals it does not explain', async () => {
    const token = await idp.accessToken(alice, { claims: { aud: 'account' } });
    const res = await get(silent, token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('audience_mismatch');
    expect(res.json()).not.toHaveProperty('expected');
    expect(res.json()).not.toHaveProperty('received');
    const elsewhere = await startTestIssuer({ profile: 'keycloak' });
    try {
      // A deployment on SQLite does not tell a stranger which issuer it trusts.
      const untrusted = await get(deployed, await elsewhere.accessToken(alice));
      expect(untrusted.statusCode).toBe(401);
      expect(untrusted.json().code).toBe('issuer_unknown');
      expect(untrusted.body).not.toContain(idp.issuer);
      expect(untrusted.json()).not.toHaveProperty('expected');
    } finally {
      await elsewhere.close();
    }
    const expired = await get(explaining, await idp.accessToken(alice, { expiresInSec: -120 }));
    expect(expired.json().code).toBe('token_expired');
    expect(expired.json()).not.toHaveProperty('expected');
  });
});
