import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp } from './support/otp.js';

/**
 * An HTTP relay in front of the dev IdP that, when the API asks for the roles of the person
 * `deleteOnRolesOf` names, first deletes that person at the IdP (with the API's own credentials)
 * and then passes the request on: someone removed them in the provider's console between the
 * API's list of people and its next call.
 */
async function deletingRelay(target: string) {
  const upstream = new URL(target);
  const state = {
    deleteOnRolesOf: undefined as string | undefined,
    /** The roles of this person are answered with a 404 that does not say the user is gone. */
    routeMissingFor: undefined as string | undefined,
  };
  const send = (req: IncomingMessage, method: string, path: string) =>
    request({
      host: upstream.hostname,
      port: upstream.port,
      method,
      path,
      headers: { ...req.headers, 'content-length': '0' },
    });
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const forward = () => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (
      state.routeMissingFor !== undefined &&
      path.endsWith(`/users/${state.routeMissingFor}/role-mappings`)
    ) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":"HTTP 404 Not Found"}');
      return;
    }
    const victim = state.deleteOnRolesOf;
    if (
      victim === undefined ||
      req.method !== 'GET' ||
      !path.endsWith(`/users/${victim}/role-mappings`)
    )
      return forward();
    state.deleteOnRolesOf = undefined;
    const removal = send(req, 'DELETE', `/admin/realms/todo-app/users/${victim}`);
    removal.on('response', (answer) => {
      answer.resume();
      answer.on('end', forward);
    });
    removal.on('error', () => res.destroy());
    removal.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * The identity provider is the source of truth for people, and others change it too: a person
 * deleted there while the API lists people is simply no longer listed; the list does not fail.
 */
describe('admin routes for the identity provider: a person deleted there meanwhile', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let api: Instance;
  let relay: Awaited<ReturnType<typeof deletingRelay>>;
  let adminToken: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-deleted-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    relay = await deletingRelay(new URL(idp.issuer).origin);
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

  const usernames = (body: { items: { username: string }[] }) =>
    body.items.map((u) => u.username).sort();

  it('lists the others when one is deleted between the list and the read of their roles', async () => {
    const before = await injectWithToken(api, adminToken, 'GET', '/admin/idp/users');
    expect(before.statusCode).toBe(200);
    const bob = (before.json().items as { id: string; username: string }[]).find(
      (u) => u.username === 'bob',
    );
    expect(bob).toBeDefined();

    relay.state.deleteOnRolesOf = bob?.id;
    const during = await injectWithToken(api, adminToken, 'GET', '/admin/idp/users');
    expect(relay.state.deleteOnRolesOf).toBeUndefined();
    expect(during.statusCode, during.body).toBe(200);
    expect(usernames(during.json())).toEqual(
      usernames(before.json()).filter((name) => name !== 'bob'),
    );
    expect(during.json().assignable).toEqual(before.json().assignable);

    // Acting on the person afterwards is a 404, as for any id the provider does not have.
    const disabled = await injectWithToken(
      api,
      adminToken,
      'PATCH',
      `/admin/idp/users/${bob?.id}`,
      {
        enabled: false,
      },
    );
    expect(disabled.statusCode).toBe(404);
    expect(disabled.json().code).toBe('not_found');
  });

  /** A new person at the provider, for one change: their id. */
  const newPerson = async (username: string) => {
    const created = await injectWithToken(api, adminToken, 'POST', '/admin/idp/users', {
      username,
      password: `${username}-password`,
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  };

  /** The audit records of `action` about the person `id`. */
  const audited = async (id: string, action: string) =>
    api.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'detail'])
      .where('resource', '=', `idp-user:${id}`)
      .where('action', '=', action)
      .execute();

  it.each([
    [
      'granting a role',
      'PUT',
      '/roles/reports:generate',
      undefined,
      'idp.role.grant',
      'The grant of reports:generate',
    ],
    [
      'removing a role',
      'DELETE',
      '/roles/user',
      undefined,
      'idp.role.remove',
      'The removal of user',
    ],
    [
      'moving them to a department',
      'PATCH',
      '',
      { department: 'Sales' },
      'idp.user.update',
      'The change',
    ],
    ['disabling them', 'PATCH', '', { enabled: false }, 'idp.user.update', 'The change'],
  ] as const)(
    'answers %s, made and audited, of a person deleted before the read-back as a success saying they are gone',
    async (what, method, suffix, payload, action, described) => {
      const id = await newPerson(`read-back-${what.split(' ')[0]}-${suffix.length}`);
      relay.state.deleteOnRolesOf = id;
      const res = await injectWithToken(
        api,
        adminToken,
        method,
        `/admin/idp/users/${id}${suffix}`,
        payload,
      );
      expect(relay.state.deleteOnRolesOf).toBeUndefined();
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ id, gone: true });
      expect(res.json().detail).toMatch(
        new RegExp(
          `^${described} was made, but .* no longer has this person \\(deleted there since\\)`,
        ),
      );
      expect(await audited(id, action)).toHaveLength(1);
      // Disabling and removing a role refused their current tokens: said, with the revocation.
      const revoked = res.json().revoked as { sub: string }[];
      if (what === 'disabling them' || what === 'removing a role') {
        expect(revoked).toEqual([expect.objectContaining({ sub: id })]);
        expect(res.json().detail).toMatch(
          /the access tokens it issued them before are refused here\.$/,
        );
      } else expect(revoked).toEqual([]);
    },
  );

  it('fails the list on a 404 that does not say the person is gone, rather than hide them', async () => {
    const listed = await injectWithToken(api, adminToken, 'GET', '/admin/idp/users');
    const alice = (listed.json().items as { id: string; username: string }[]).find(
      (u) => u.username === 'alice',
    );
    relay.state.routeMissingFor = alice?.id;
    const res = await injectWithToken(api, adminToken, 'GET', '/admin/idp/users');
    relay.state.routeMissingFor = undefined;
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json().code).toBe('idp_refused');
  });
});
