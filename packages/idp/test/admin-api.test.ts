import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KcAdminClient, { NetworkError } from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  clientOf,
  decodeJwt,
  form,
  passwordGrant,
  realmJson,
  startLogoutReceiver,
  startTestIdp,
  type TestIdp,
} from './helpers.js';

let idp: TestIdp;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
let kc: KcAdminClient;

function testRealm() {
  const realm = realmJson();
  clientOf(realm, 'todo-cli').attributes = {
    ...clientOf(realm, 'todo-cli').attributes,
    'backchannel.logout.url': receiver.url,
  };
  // A help-desk user who may look people up but change nothing.
  realm.users.push({
    username: 'viewer',
    enabled: true,
    credentials: [{ type: 'password', value: 'viewer' }],
    clientRoles: { 'realm-management': ['view-users'] },
  });
  return realm;
}

/** An admin client signed in as the API is: client credentials of `todo-api`. */
async function serviceClient(target: TestIdp): Promise<KcAdminClient> {
  const client = new KcAdminClient({ baseUrl: target.url, realmName: 'todo-app' });
  await client.auth({
    grantType: 'client_credentials',
    clientId: 'todo-api',
    clientSecret: 'todo-api-secret',
  });
  return client;
}

async function asUser(username: string): Promise<KcAdminClient> {
  const { body } = await passwordGrant(idp, username);
  const client = new KcAdminClient({ baseUrl: idp.url, realmName: 'todo-app' });
  client.setAccessToken(body.access_token as string);
  return client;
}

async function refusal(call: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkError);
  const { response, responseData } = error as NetworkError;
  return { status: response.status, data: responseData };
}

beforeAll(async () => {
  receiver = await startLogoutReceiver();
  idp = await startTestIdp({ realm: testRealm() });
  kc = await serviceClient(idp);
});
afterAll(async () => {
  await idp.close();
  await receiver.close();
});

describe('Keycloak Admin REST API subset, called by @keycloak/keycloak-admin-client', {
  timeout: 30_000,
}, () => {
  it('gives the todo-api service account realm-management view-users, manage-users, query-groups and view-clients', () => {
    const claims = decodeJwt(kc.accessToken as string).payload as {
      resource_access: Record<string, { roles: string[] }>;
    };
    expect(claims.resource_access['realm-management']?.roles).toEqual(
      expect.arrayContaining(['view-users', 'manage-users', 'query-groups', 'view-clients']),
    );
  });

  it('lists and searches users with first/max and briefRepresentation; service accounts are left out', async () => {
    const all = await kc.users.find();
    expect(all.map((u) => u.username)).toEqual([
      'admin',
      'alice',
      'bob',
      'carol',
      'testuser',
      'viewer',
    ]);
    const alice = all.find((u) => u.username === 'alice');
    expect(alice).toMatchObject({
      id: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01',
      email: 'alice@example.com',
      firstName: 'Alice',
      enabled: true,
      attributes: { department: ['engineering'] },
    });
    const found = await kc.users.find({ search: 'CAR', briefRepresentation: true });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ username: 'carol', email: 'carol@example.com' });
    expect(found[0]).not.toHaveProperty('attributes');
    const page = await kc.users.find({ first: 1, max: 2 });
    expect(page.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(await kc.users.find({ search: '*example.com' })).toHaveLength(5);
    expect(await kc.users.count({ search: '*example.com' })).toBe(5);
    expect(await kc.users.find({ username: 'al', exact: true })).toEqual([]);
    expect((await kc.users.find({ q: 'department:sales' })).map((u) => u.username)).toEqual([
      'bob',
    ]);
  });

  it('searches as Keycloak does: a prefix per term, `*` a wildcard, `"…"` exact, every term matching', async () => {
    const names = async (query: Parameters<typeof kc.users.find>[0]) =>
      (await kc.users.find(query)).map((u) => u.username);
    // A prefix of the username, email or either name, case-insensitive; not a substring.
    expect(await names({ search: 'CAR' })).toEqual(['carol']);
    expect(await names({ search: 'rol' })).toEqual([]);
    expect(await names({ search: 'example.com' })).toEqual([]);
    expect(await names({ search: '*rol*' })).toEqual(['carol']);
    expect(await names({ search: 'clark' })).toEqual(['carol']);
    // Exact when quoted; every whitespace-separated term must match a field.
    expect(await names({ search: '"ali"' })).toEqual([]);
    expect(await names({ search: '"alice@example.com"' })).toEqual(['alice']);
    expect(await names({ search: 'alice anderson' })).toEqual(['alice']);
    expect(await names({ search: 'alice brown' })).toEqual([]);
    expect(await kc.users.count({ search: '*example.com' })).toBe(5);
    // With search, the field parameters are ignored (enabled still applies); id: looks up ids.
    expect(await names({ search: 'alice', username: 'bob' })).toEqual(['alice']);
    expect(await names({ search: 'alice', enabled: false })).toEqual([]);
    expect(await names({ search: 'id:5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e02' })).toEqual(['bob']);
    // The field parameters are substrings unless exact=true.
    expect(await names({ username: 'li' })).toEqual(['alice']);
    expect(await names({ username: 'li', exact: true })).toEqual([]);
    expect(await names({ email: 'bob@example.com', exact: true })).toEqual(['bob']);
  });

  it('gets one user by id, and answers an unknown id with 404 (findOne gives undefined)', async () => {
    const user = await kc.users.findOne({ id: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e04' });
    expect(user).toMatchObject({ username: 'admin', totp: true, requiredActions: [] });
    expect(await kc.users.findOne({ id: 'no-such-user' })).toBeFalsy();
  });

  it("creates a user (201 + Location), refuses a taken username with 409 and Keycloak's message", async () => {
    const { id } = await kc.users.create({
      username: 'dave',
      enabled: true,
      email: 'dave@example.com',
      firstName: 'Dave',
      attributes: { department: ['sales'] },
      credentials: [{ type: 'password', value: 'dave-pass', temporary: false }],
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await kc.users.findOne({ id })).toMatchObject({ username: 'dave', enabled: true });
    const taken = await refusal(kc.users.create({ username: 'alice', enabled: true }));
    expect(taken).toEqual({
      status: 409,
      data: { errorMessage: 'User exists with same username' },
    });
    const signIn = await passwordGrant(idp, 'dave', 'dave-pass');
    expect(signIn.status).toBe(200);
    expect(decodeJwt(signIn.body.access_token as string).payload.department).toBe('sales');
  });

  it("refuses a username outside the user profile's length (3 to 255) with Keycloak's 400", async () => {
    const short = await refusal(kc.users.create({ username: 'ab', enabled: true }));
    expect(short).toEqual({
      status: 400,
      data: {
        field: 'username',
        errorMessage: 'error-invalid-length',
        params: ['username', 3, 255],
      },
    });
    expect(await kc.users.find({ username: 'ab', exact: true })).toEqual([]);
  });

  it('stores the username and the email lower-cased, as Keycloak does', async () => {
    const { id } = await kc.users.create({
      username: 'Judy',
      email: 'Judy.Jones@Example.COM',
      enabled: true,
    });
    expect(await kc.users.findOne({ id })).toMatchObject({
      username: 'judy',
      email: 'judy.jones@example.com',
    });
    const found = await kc.users.find({ email: 'JUDY.JONES@example.com', exact: true });
    expect(found.map((u) => u.id)).toEqual([id]);
    await kc.users.update({ id }, { email: 'J.Jones@Example.COM' });
    expect(await kc.users.findOne({ id })).toMatchObject({ email: 'j.jones@example.com' });
  });

  it('updates enabled and the department; a disabled user can neither sign in nor refresh', async () => {
    const { id } = await kc.users.create({
      username: 'erin',
      enabled: true,
      credentials: [{ type: 'password', value: 'erin' }],
    });
    const before = await passwordGrant(idp, 'erin', 'erin');
    expect(before.status).toBe(200);
    await kc.users.update({ id }, { attributes: { department: ['engineering'] } });
    const moved = await passwordGrant(idp, 'erin', 'erin');
    expect(decodeJwt(moved.body.access_token as string).payload.department).toBe('engineering');

    await kc.users.update({ id }, { enabled: false });
    expect(await kc.users.findOne({ id })).toMatchObject({ enabled: false });
    const refused = await passwordGrant(idp, 'erin', 'erin');
    expect(refused.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Account disabled',
    });
    const refresh = await fetch(
      idp.discovery.token_endpoint as string,
      form({
        grant_type: 'refresh_token',
        client_id: 'todo-cli',
        refresh_token: before.body.refresh_token as string,
      }),
    );
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('takes a PUT with attributes as the whole profile: names and email left out are removed, as in Keycloak 24+', async () => {
    const { id } = await kc.users.create({
      username: 'heidi',
      enabled: true,
      email: 'heidi@example.com',
      firstName: 'Heidi',
      lastName: 'Hill',
      attributes: { department: ['sales'] },
    });
    // Without attributes, only the fields sent change.
    await kc.users.update({ id }, { enabled: false });
    expect(await kc.users.findOne({ id })).toMatchObject({
      enabled: false,
      email: 'heidi@example.com',
      firstName: 'Heidi',
      attributes: { department: ['sales'] },
    });
    // With attributes, what is not sent is gone (Keycloak updates the user profile as a whole).
    await kc.users.update({ id }, { attributes: { department: ['engineering'] } });
    const after = await kc.users.findOne({ id });
    expect(after).toMatchObject({ username: 'heidi', attributes: { department: ['engineering'] } });
    expect(after).not.toHaveProperty('email');
    expect(after).not.toHaveProperty('firstName');
    expect(after).not.toHaveProperty('lastName');
  });

  it('maps todo-api client roles through clients.find and client role mappings; the next token carries them', async () => {
    const [api] = await kc.clients.find({ clientId: 'todo-api' });
    expect(api).toMatchObject({ clientId: 'todo-api' });
    expect(api).not.toHaveProperty('secret');
    const clientUniqueId = api?.id as string;
    const roles = await kc.clients.listRoles({ id: clientUniqueId });
    expect(roles.map((r) => r.name).sort()).toEqual(
      expect.arrayContaining(['reports:generate', 'todos:read', 'todos:write', 'users:manage']),
    );
    const alice = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01';
    const reports = roles.find((r) => r.name === 'reports:generate');
    const available = await kc.users.listAvailableClientRoleMappings({ id: alice, clientUniqueId });
    expect(available.map((r) => r.name)).toContain('reports:generate');
    expect(available.map((r) => r.name)).not.toContain('todos:read');

    await kc.users.addClientRoleMappings({
      id: alice,
      clientUniqueId,
      roles: [{ id: reports?.id as string, name: 'reports:generate' }],
    });
    expect(
      (await kc.users.listClientRoleMappings({ id: alice, clientUniqueId })).map((r) => r.name),
    ).toEqual(['reports:generate']);
    expect(
      (await kc.users.listCompositeClientRoleMappings({ id: alice, clientUniqueId }))
        .map((r) => r.name)
        .sort(),
    ).toEqual(['reports:generate', 'todos:read', 'todos:write']);
    const mappings = await kc.users.listRoleMappings({ id: alice });
    expect(mappings.realmMappings?.map((r) => r.name)).toEqual(['user']);
    expect(mappings.clientMappings?.['todo-api']).toMatchObject({
      id: clientUniqueId,
      client: 'todo-api',
    });
    const granted = await passwordGrant(idp, 'alice');
    const claims = decodeJwt(granted.body.access_token as string).payload as {
      resource_access: Record<string, { roles: string[] }>;
    };
    expect(claims.resource_access['todo-api']?.roles).toContain('reports:generate');

    await kc.users.delClientRoleMappings({
      id: alice,
      clientUniqueId,
      roles: [{ id: reports?.id as string, name: 'reports:generate' }],
    });
    const after = decodeJwt((await passwordGrant(idp, 'alice')).body.access_token as string)
      .payload as {
      resource_access: Record<string, { roles: string[] }>;
    };
    expect(after.resource_access['todo-api']?.roles).not.toContain('reports:generate');
    const wrongId = await refusal(
      kc.users.addClientRoleMappings({
        id: alice,
        clientUniqueId,
        roles: [{ id: 'x', name: 'reports:generate' }],
      }),
    );
    expect(wrongId.status).toBe(404);
    // Keycloak compares the id too: a role named without its id is not found either.
    const noId = await refusal(
      kc.users.addClientRoleMappings({
        id: alice,
        clientUniqueId,
        roles: [{ name: 'reports:generate' } as { id: string; name: string }],
      }),
    );
    expect(noId).toEqual({ status: 404, data: { error: 'Role not found' } });
    const realmNoId = await refusal(
      kc.users.addRealmRoleMappings({
        id: alice,
        roles: [{ name: 'admin' } as { id: string; name: string }],
      }),
    );
    expect(realmNoId.status).toBe(404);
    expect((await kc.users.listRealmRoleMappings({ id: alice })).map((r) => r.name)).not.toContain(
      'admin',
    );
  });

  it('maps realm roles (roles.find, add, list, composite, delete)', async () => {
    const realmRoles = await kc.roles.find();
    const admin = realmRoles.find((r) => r.name === 'admin');
    const bob = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e02';
    await kc.users.addRealmRoleMappings({
      id: bob,
      roles: [{ id: admin?.id as string, name: 'admin' }],
    });
    expect((await kc.users.listRealmRoleMappings({ id: bob })).map((r) => r.name).sort()).toEqual([
      'admin',
      'user',
    ]);
    expect(
      (await kc.users.listCompositeRealmRoleMappings({ id: bob })).map((r) => r.name),
    ).toContain('admin');
    await kc.users.delRealmRoleMappings({
      id: bob,
      roles: [{ id: admin?.id as string, name: 'admin' }],
    });
    expect((await kc.users.listRealmRoleMappings({ id: bob })).map((r) => r.name)).toEqual([
      'user',
    ]);
  });

  it('sets a temporary password: the old one stops working and the new one needs UPDATE_PASSWORD first', async () => {
    const { id } = await kc.users.create({
      username: 'frank',
      enabled: true,
      credentials: [{ type: 'password', value: 'old' }],
    });
    await kc.users.resetPassword({
      id,
      credential: { type: 'password', value: 'temp-123', temporary: true },
    });
    expect((await passwordGrant(idp, 'frank', 'old')).body.error).toBe('invalid_grant');
    const pending = await passwordGrant(idp, 'frank', 'temp-123');
    expect(pending.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Account is not fully set up',
    });
    expect(await kc.users.findOne({ id })).toMatchObject({ requiredActions: ['UPDATE_PASSWORD'] });
    const empty = await refusal(
      kc.users.resetPassword({ id, credential: { type: 'password', value: '' } }),
    );
    expect(empty.status).toBe(400);
  });

  it("lists a user's sessions and logs them out with back-channel logout, as a sign-out does", async () => {
    const bob = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e02';
    const granted = await passwordGrant(idp, 'bob');
    const sessions = await kc.users.listSessions({ id: bob });
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    expect(sessions[0]).toMatchObject({
      userId: bob,
      username: 'bob',
      clients: expect.any(Object),
    });
    expect(Object.values(sessions[0]?.clients ?? {})).toContain('todo-cli');
    expect(sessions[0]?.start).toBeGreaterThan(Date.now() - 60_000);
    expect(sessions[0]?.ipAddress).toBe('127.0.0.1');

    const delivered = receiver.tokens.length;
    await kc.users.logout({ id: bob });
    const tokens = await receiver.waitFor(delivered + 1);
    const logout = decodeJwt(tokens.at(-1) as string).payload;
    expect(logout).toMatchObject({
      sub: bob,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    expect(await kc.users.listSessions({ id: bob })).toEqual([]);
    const refresh = await fetch(
      idp.discovery.token_endpoint as string,
      form({
        grant_type: 'refresh_token',
        client_id: 'todo-cli',
        refresh_token: granted.body.refresh_token as string,
      }),
    );
    expect(refresh.status).toBe(400);
    const introspection = await fetch(idp.discovery.introspection_endpoint as string, {
      ...form({ token: granted.body.access_token as string }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('todo-api', 'todo-api-secret'),
      },
    });
    expect(await introspection.json()).toEqual({ active: false });
  });

  it("lists groups and a user's groups with query-groups / view-users", async () => {
    expect(Array.isArray(await kc.groups.find())).toBe(true);
    expect(await kc.users.listGroups({ id: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01' })).toEqual([]);
  });
});

describe("the realm's user profile, as Keycloak 24+ applies it to the admin API", {
  timeout: 30_000,
}, () => {
  it("without a declaration of department (Keycloak's default profile) neither shows nor takes it, and still answers 2xx", async () => {
    const { components: _, ...realm } = realmJson();
    const bare = await startTestIdp({ realm: realm as typeof realm & { clients: []; users: [] } });
    try {
      const admin = await serviceClient(bare);
      const alice = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e01';
      expect(await admin.users.findOne({ id: alice })).not.toHaveProperty('attributes');
      await admin.users.update(
        { id: alice },
        { username: 'alice', email: 'alice@example.com', attributes: { department: ['sales'] } },
      );
      const { id } = await admin.users.create({
        username: 'ivan',
        enabled: true,
        attributes: { department: ['sales'] },
        credentials: [{ type: 'password', value: 'ivan' }],
      });
      expect(await admin.users.findOne({ id })).not.toHaveProperty('attributes');
      // Stored attributes are still the user's: the token mapper reads them, as Keycloak's does.
      const token = (await passwordGrant(bare, 'alice')).body.access_token as string;
      expect(decodeJwt(token).payload.department).toBe('engineering');
      const ivan = (await passwordGrant(bare, 'ivan', 'ivan')).body.access_token as string;
      expect(decodeJwt(ivan).payload.department).toBeUndefined();
    } finally {
      await bare.close();
    }
  });
});

describe('authorisation as Keycloak does it', { timeout: 30_000 }, () => {
  it('answers 401 without a token or with one it did not issue', async () => {
    const res = await fetch(`${idp.url}/admin/realms/todo-app/users`);
    expect(res.status).toBe(401);
    const forged = new KcAdminClient({ baseUrl: idp.url, realmName: 'todo-app' });
    forged.setAccessToken('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect((await refusal(forged.users.find())).status).toBe(401);
  });

  it('answers 403 to a token without realm-management roles', async () => {
    const alice = await asUser('alice');
    expect((await refusal(alice.users.find())).status).toBe(403);
  });

  it('lets view-users read but refuses every write without manage-users with 403', async () => {
    const viewer = await asUser('viewer');
    const bob = '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e02';
    expect((await viewer.users.find({ search: 'bob' })).map((u) => u.username)).toEqual(['bob']);
    expect(await viewer.users.listSessions({ id: bob })).toEqual(expect.any(Array));
    // Keycloak answers a user administrator's client lookup, but empty without view-clients.
    expect(await viewer.clients.find({ clientId: 'todo-api' })).toEqual([]);
    expect(await viewer.clients.find()).toEqual([]);
    const [api] = await kc.clients.find({ clientId: 'todo-api' });
    // Any realm-management role may list a client's roles, given its id.
    const roles = await viewer.clients.listRoles({ id: api?.id as string });
    const reports = roles.find((r) => r.name === 'reports:generate');
    const writes: Promise<unknown>[] = [
      viewer.users.create({ username: 'mallory', enabled: true }),
      viewer.users.update({ id: bob }, { enabled: false }),
      viewer.users.addClientRoleMappings({
        id: bob,
        clientUniqueId: api?.id as string,
        roles: [{ id: reports?.id as string, name: 'reports:generate' }],
      }),
      viewer.users.delRealmRoleMappings({ id: bob, roles: [{ id: 'x', name: 'user' }] }),
      viewer.users.resetPassword({ id: bob, credential: { type: 'password', value: 'x' } }),
      viewer.users.logout({ id: bob }),
      viewer.users.del({ id: bob }),
    ];
    // Each refusal is taken up at once: one that arrives while an earlier one is awaited would
    // otherwise count as an unhandled rejection.
    const refusals = writes.map((write) => refusal(write));
    for (const refused of refusals) expect((await refused).status).toBe(403);
    expect(await kc.users.findOne({ id: bob })).toMatchObject({ enabled: true });
  });
});

describe('changes persist under DATA_DIR on top of the realm file', { timeout: 30_000 }, () => {
  it('keeps a created user, a disabled user and a role mapping across a restart', async () => {
    const first = await startTestIdp({ dataDir: idp.dataDir });
    try {
      const admin = await serviceClient(first);
      const { id } = await admin.users.create({
        username: 'grace',
        enabled: true,
        credentials: [{ type: 'password', value: 'grace' }],
      });
      await admin.users.update({ id: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e05' }, { enabled: false });
      const realmRoles = await admin.roles.find();
      const user = realmRoles.find((r) => r.name === 'user');
      await admin.users.addRealmRoleMappings({
        id,
        roles: [{ id: user?.id as string, name: 'user' }],
      });
    } finally {
      await first.close();
    }
    const second = await startTestIdp({ dataDir: idp.dataDir });
    try {
      const admin = await serviceClient(second);
      const [grace] = await admin.users.find({ username: 'grace', exact: true });
      expect(grace).toMatchObject({ username: 'grace', enabled: true });
      expect(
        (await admin.users.listRealmRoleMappings({ id: grace?.id as string })).map((r) => r.name),
      ).toEqual(['user']);
      expect(
        await admin.users.findOne({ id: '5f0c7a3e-2b8d-4c1a-9e61-0a1b2c3d4e05' }),
      ).toMatchObject({ enabled: false });
    } finally {
      await second.close();
    }
  });

  it('refuses to start on a users file that is not JSON, rather than forget the changes in it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'idp-users-'));
    try {
      writeFileSync(join(dataDir, 'users.json'), '{ not json');
      await expect(startTestIdp({ dataDir })).rejects.toMatchObject({ code: 'ERR_USERS_FILE' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
