import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, decodeJwt, form, passwordGrant, startTestIdp, type TestIdp } from './helpers.js';

let idp: TestIdp;
const ALICE_SUB = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01';

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp.close();
});

const oidc = () => `${idp.issuer}/protocol/openid-connect`;

describe('Keycloak profile: discovery and keys', () => {
  it('serves discovery at /realms/todo-app with Keycloak endpoint paths', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/todo-app$/);
    expect(idp.discovery).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${oidc()}/auth`,
      token_endpoint: `${oidc()}/token`,
      jwks_uri: `${oidc()}/certs`,
      userinfo_endpoint: `${oidc()}/userinfo`,
      end_session_endpoint: `${oidc()}/logout`,
      introspection_endpoint: `${oidc()}/token/introspect`,
      revocation_endpoint: `${oidc()}/revoke`,
      device_authorization_endpoint: `${oidc()}/auth/device`,
      backchannel_logout_supported: true,
    });
    expect(idp.discovery.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'refresh_token',
        'password',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
      ]),
    );
  });

  it('publishes an RS256 signing key and an RSA-OAEP enc key in the JWKS, public parts only', async () => {
    const res = await fetch(`${oidc()}/certs`);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.map((k) => [k.use, k.alg, k.kty])).toEqual([
      ['sig', 'RS256', 'RSA'],
      ['enc', 'RSA-OAEP', 'RSA'],
    ]);
    for (const key of keys) {
      expect(key.kid).toBeTruthy();
      expect(key.d).toBeUndefined();
      expect(key.p).toBeUndefined();
    }
  });
});

describe('Keycloak profile: password grant (todo-cli, directAccessGrantsEnabled)', () => {
  it("issues an RS256 access token in Keycloak's claim shape, field by field", async () => {
    const { status, body } = await passwordGrant(idp, 'alice', 'alice', { scope: 'openid' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(body.refresh_token).toBeTruthy();
    const { header, payload } = decodeJwt(body.access_token as string);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof header.kid).toBe('string');
    expect(payload).toEqual({
      iss: idp.issuer,
      sub: ALICE_SUB,
      aud: 'todo-api',
      azp: 'todo-cli',
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      typ: 'Bearer',
      sid: expect.any(String),
      // Level of authentication (acr.loa.map name), methods and time of the sign-in.
      acr: 'pwd',
      amr: ['pwd'],
      auth_time: expect.any(Number),
      scope: 'profile email openid',
      realm_access: { roles: ['user'] },
      resource_access: { 'todo-api': { roles: ['todos:read', 'todos:write'] } },
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice Anderson',
      given_name: 'Alice',
      family_name: 'Anderson',
      department: 'engineering',
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    const jwks = createRemoteJWKSet(new URL(idp.discovery.jwks_uri as string));
    await expect(
      jwtVerify(body.access_token as string, jwks, { issuer: idp.issuer, audience: 'todo-api' }),
    ).resolves.toBeTruthy();
  });

  it('issues an ID token with typ "ID", azp, sid, auth_time and the profile claims when openid is asked for', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { body } = await passwordGrant(idp, 'carol', 'carol', { scope: 'openid' });
    const access = decodeJwt(body.access_token as string).payload;
    const { payload } = decodeJwt(body.id_token as string);
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: 'todo-cli',
      azp: 'todo-cli',
      typ: 'ID',
      sid: access.sid,
      sub: access.sub,
      preferred_username: 'carol',
      email: 'carol@example.com',
      department: 'engineering',
    });
    // The sign-in is this grant: auth_time is now, as in Keycloak's direct-grant ID tokens.
    expect(payload.auth_time).toBeGreaterThanOrEqual(before);
    expect(payload.auth_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(payload.realm_access).toBeUndefined();
    expect(access.resource_access).toEqual({
      'todo-api': { roles: ['reports:generate', 'todos:read', 'todos:write'] },
    });
  });

  it('gives admin the admin realm role, of the todo-api roles only authz:evaluate (a composite of admin), and no department claim', async () => {
    const { body } = await passwordGrant(idp, 'admin');
    const { payload } = decodeJwt(body.access_token as string);
    expect(payload.realm_access).toEqual({ roles: ['admin'] });
    expect(payload.resource_access).toEqual({ 'todo-api': { roles: ['authz:evaluate'] } });
    expect(payload.department).toBeUndefined();
    expect(body.id_token).toBeUndefined();
    expect(payload.scope).toBe('profile email');
  });

  it('refuses a wrong password with 401 invalid_grant "Invalid user credentials", as Keycloak', async () => {
    const { status, body } = await passwordGrant(idp, 'alice', 'wrong');
    expect(status).toBe(401);
    expect(body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Invalid user credentials',
    });
    expect(body.access_token).toBeUndefined();
  });

  it('refuses a disabled user with invalid_grant "Account disabled"', async () => {
    const { loadRealm } = await import('@todo-sso/idp');
    const { realmJson } = await import('./helpers.js');
    const json = realmJson();
    (json.users.find((u) => u.username === 'bob') as Record<string, unknown>).enabled = false;
    loadRealm(json);
    const other = await startTestIdp({ realm: json });
    try {
      const { status, body } = await passwordGrant(other, 'bob');
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_grant', error_description: 'Account disabled' });
    } finally {
      await other.close();
    }
  });

  it('refuses the password grant to todo-ui (direct access grants off) with unauthorized_client', async () => {
    const res = await fetch(
      `${oidc()}/token`,
      form({ grant_type: 'password', client_id: 'todo-ui', username: 'alice', password: 'alice' }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('refreshes: a new access token for the same session, the refresh token rotated', async () => {
    const first = await passwordGrant(idp, 'bob');
    const res = await fetch(
      `${oidc()}/token`,
      form({
        grant_type: 'refresh_token',
        client_id: 'todo-cli',
        refresh_token: first.body.refresh_token as string,
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    const before = decodeJwt(first.body.access_token as string).payload;
    const after = decodeJwt(body.access_token as string).payload;
    expect(after).toMatchObject({
      sub: before.sub,
      sid: before.sid,
      aud: 'todo-api',
      typ: 'Bearer',
      department: 'sales',
    });
    expect(after.jti).not.toBe(before.jti);
    expect(body.refresh_token).not.toBe(first.body.refresh_token);
  });
});

describe('Keycloak profile: client credentials (todo-api service account)', () => {
  it('issues a token whose subject is the service account', async () => {
    const res = await fetch(`${oidc()}/token`, {
      ...form({ grant_type: 'client_credentials' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(body.refresh_token).toBeUndefined();
    const { header, payload } = decodeJwt(body.access_token as string);
    expect(header.typ).toBe('JWT');
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: 'todo-api',
      azp: 'todo-api',
      client_id: 'todo-api',
      typ: 'Bearer',
      preferred_username: 'service-account-todo-api',
    });
    expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the client secret in the body too (client_secret_post), as Keycloak does', async () => {
    const res = await fetch(
      `${oidc()}/token`,
      form({
        grant_type: 'client_credentials',
        client_id: 'todo-api',
        client_secret: 'todo-api-secret',
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(decodeJwt(body.access_token as string).payload.azp).toBe('todo-api');
  });

  it('refuses a wrong client secret with 401 invalid_client', async () => {
    const res = await fetch(`${oidc()}/token`, {
      ...form({ grant_type: 'client_credentials' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'nope'),
      },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('Keycloak profile: userinfo, introspection, revocation', () => {
  const apiAuth = () => ({
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic('todo-api', 'todo-api-secret'),
  });
  const introspect = async (token: string) => {
    const res = await fetch(`${oidc()}/token/introspect`, {
      method: 'POST',
      headers: apiAuth(),
      body: new URLSearchParams({ token }).toString(),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it('answers userinfo for the audience-bound access token, scope-filtered', async () => {
    const { body } = await passwordGrant(idp, 'alice', 'alice', { scope: 'openid' });
    const res = await fetch(`${oidc()}/userinfo`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: ALICE_SUB,
      name: 'Alice Anderson',
      given_name: 'Alice',
      family_name: 'Anderson',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      department: 'engineering',
    });
  });

  it('answers userinfo with 401 and a Bearer invalid_token challenge for a garbage token', async () => {
    const res = await fetch(`${oidc()}/userinfo`, {
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it("introspects an access token in Keycloak's shape (active, username, client_id, token_type)", async () => {
    const { body } = await passwordGrant(idp, 'carol');
    const result = await introspect(body.access_token as string);
    expect(result).toMatchObject({
      active: true,
      username: 'carol',
      client_id: 'todo-cli',
      token_type: 'Bearer',
      sub: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e03',
      aud: 'todo-api',
      iss: idp.issuer,
      typ: 'Bearer',
      realm_access: { roles: ['user'] },
    });
    const refresh = await introspect(body.refresh_token as string);
    expect(refresh).toMatchObject({ active: true, typ: 'Refresh', client_id: 'todo-cli' });
  });

  it('answers { active: false } for a forged token and refuses introspection by a public client', async () => {
    const { body } = await passwordGrant(idp, 'carol');
    const [h, p] = (body.access_token as string).split('.');
    expect(await introspect(`${h}.${p}.AAAA`)).toEqual({ active: false });
    const res = await fetch(
      `${oidc()}/token/introspect`,
      form({ client_id: 'todo-cli', token: body.access_token as string }),
    );
    // Keycloak's TokenIntrospectionEndpoint: a public client authenticates, but may not introspect.
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Client not allowed.',
    });
    const wrong = await fetch(`${oidc()}/token/introspect`, {
      ...form({ token: body.access_token as string }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'not-the-secret'),
      },
    });
    // Keycloak 26.0–26.6: any failed client authentication is 401 invalid_request.
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Authentication failed.',
    });
  });

  it('revokes an access token and a refresh token: both introspect inactive afterwards', async () => {
    const { body } = await passwordGrant(idp, 'testuser');
    const revoke = (token: string) =>
      fetch(`${oidc()}/revoke`, form({ client_id: 'todo-cli', token }));
    expect((await revoke(body.access_token as string)).status).toBe(200);
    expect(await introspect(body.access_token as string)).toEqual({ active: false });
    expect((await revoke(body.refresh_token as string)).status).toBe(200);
    expect(await introspect(body.refresh_token as string)).toEqual({ active: false });
    const refreshed = await fetch(
      `${oidc()}/token`,
      form({
        grant_type: 'refresh_token',
        client_id: 'todo-cli',
        refresh_token: body.refresh_token as string,
      }),
    );
    expect(refreshed.status).toBe(400);
  });
});
