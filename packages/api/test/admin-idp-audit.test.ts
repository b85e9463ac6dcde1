import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, injectWithToken, startInstance, testConfig } from './support/harness.js';
import { adminTokenWithOtp } from './support/otp.js';

/**
 * An HTTP relay in front of the dev IdP that answers 503 to every admin read (`GET`) once
 * `failReadsAfter` has matched a request that went through: the IdP made a change, and then
 * failed before the API could read the result back.
 */
async function flakyRelay(target: string) {
  const upstream = new URL(target);
  const state = {
    failReadsAfter: undefined as RegExp | undefined,
    /** A request matching this goes through, but its answer is lost: 504 from the relay. */
    loseAnswerOf: undefined as RegExp | undefined,
    tripped: false,
    seen: [] as string[],
    /** The `Authorization` of every request that went through. */
    credentials: new Set<string>(),
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    state.seen.push(`${req.method} ${path}`);
    if (req.headers.authorization) state.credentials.add(req.headers.authorization);
    if (state.tripped && req.method === 'GET' && path.includes('/admin/')) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream failing');
      return;
    }
    if (state.failReadsAfter?.test(`${req.method} ${path}`)) state.tripped = true;
    const lose = state.loseAnswerOf?.test(`${req.method} ${path}`) === true;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        headers: req.headers,
      },
      (answer) => {
        if (lose) {
          answer.resume();
          answer.on('end', () =>
            res.writeHead(504, { 'content-type': 'text/html' }).end('<h1>Gateway Timeout</h1>'),
          );
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
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
 * Every change the admin routes make at the identity provider is in the audit log, even when
 * the provider fails right after making it (reading the result back): the change happened.
 */
describe('admin routes for the identity provider: a change is audited once it is made', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let direct: Instance;
  let relayed: Instance;
  let relay: Awaited<ReturnType<typeof flakyRelay>>;
  let adminToken: string;

  const call = (
    instance: Instance,
    method: 'GET' | 'PUT' | 'POST' | 'PATCH',
    url: string,
    payload?: object,
  ) => injectWithToken(instance, adminToken, method, url, payload);

  const auditOf = (action: string) =>
    direct.context.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'resource', 'detail', 'outcome'])
      .where('action', '=', action)
      .execute();

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-admin-audit-'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData) });
    relay = await flakyRelay(new URL(idp.issuer).origin);
    database = sqliteDatabase();
    const credentials = { OIDC_CLIENT_ID: 'todo-api', OIDC_CLIENT_SECRET: 'todo-api-secret' };
    direct = await startInstance(testConfig(idp, database.config, credentials));
    relayed = await startInstance(
      testConfig(idp, database.config, {
        ...credentials,
        IDP_ADMIN_URL: `${relay.url}/admin/realms/todo-app`,
      }),
    );
    adminToken = await adminTokenWithOtp(idp.issuer);
  });

  afterAll(async () => {
    await relayed?.close();
    await direct?.close();
    await relay?.close();
    await idp?.close();
    await database?.drop();
    rmSync(idpData, { recursive: true, force: true });
  });

  const bobOf = async () => {
    const found = await call(direct, 'GET', '/admin/idp/users?search=bob');
    expect(found.statusCode).toBe(200);
    return (found.json().items as { id: string; username: string; permissions: string[] }[]).find(
      (u) => u.username === 'bob',
    );
  };

  it('audits a role granted when the IdP fails while the API reads the user back', async () => {
    const bob = await bobOf();
    expect(bob?.permissions).not.toContain('reports:generate');
    relay.state.tripped = false;
    relay.state.failReadsAfter = /^POST .*\/role-mappings\/clients\//;
    const res = await call(relayed, 'PUT', `/admin/idp/users/${bob?.id}/roles/reports:generate`);
    relay.state.failReadsAfter = undefined;
    relay.state.tripped = false;
    // The IdP made the change: it must be in the audit log, and the answer must not say otherwise.
    expect((await bobOf())?.permissions).toContain('reports:generate');
    expect(await auditOf('idp.role.grant')).toEqual([
      {
        action: 'idp.role.grant',
        resource: `idp-user:${bob?.id}`,
        detail: 'reports:generate',
        outcome: 'success',
      },
    ]);
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).not.toMatch(/nothing was changed/);
    expect(res.json().detail).toMatch(/was made/);
  });

  it('audits a user created when the IdP fails while the API reads the user back', async () => {
    relay.state.failReadsAfter = /^POST .*\/users\/?$/;
    const res = await call(relayed, 'POST', '/admin/idp/users', { username: 'dora' });
    relay.state.failReadsAfter = undefined;
    relay.state.tripped = false;
    const found = await call(direct, 'GET', '/admin/idp/users?search=dora');
    expect(found.json().items).toHaveLength(1);
    expect(await auditOf('idp.user.create')).toMatchObject([
      { action: 'idp.user.create', detail: JSON.stringify({ username: 'dora' }) },
    ]);
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).not.toMatch(/nothing was changed/);
  });

  it('audits a user updated when the IdP fails while the API reads the user back', async () => {
    const bob = await bobOf();
    relay.state.failReadsAfter = new RegExp(`^PUT .*/users/${bob?.id}$`);
    const res = await call(relayed, 'PATCH', `/admin/idp/users/${bob?.id}`, {
      department: 'audit-check',
    });
    relay.state.failReadsAfter = undefined;
    relay.state.tripped = false;
    // Keycloak's PUT happened: the department is set, and the change is in the audit log.
    const found = await call(direct, 'GET', '/admin/idp/users?search=bob');
    expect(
      (found.json().items as { username: string; department?: string }[]).find(
        (u) => u.username === 'bob',
      )?.department,
    ).toBe('audit-check');
    expect(await auditOf('idp.user.update')).toEqual([
      {
        action: 'idp.user.update',
        resource: `idp-user:${bob?.id}`,
        detail: JSON.stringify({ department: 'audit-check' }),
        outcome: 'success',
      },
    ]);
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toMatch(/The change was made/);
  });

  it('refuses ids and role names that would reach another admin URL before any call is made', async () => {
    const bob = await bobOf();
    relay.state.seen = [];
    const refused = [
      ['PUT', '/admin/idp/users/..%2F..%2Fclients/roles/admin'],
      ['PUT', '/admin/idp/users/%2E%2E/roles/admin'],
      ['GET', `/admin/idp/users/${'a'.repeat(256)}/sessions`],
      ['GET', '/admin/idp/users/bob%00/sessions'],
      ['POST', '/admin/idp/users/a%2Fb/logout'],
      ['PUT', `/admin/idp/users/${bob?.id}/roles/..%2F..%2Fusers`],
      ['PUT', `/admin/idp/users/${bob?.id}/roles/${'r'.repeat(101)}`],
    ] as const;
    for (const [method, url] of refused) {
      const res = await call(relayed, method, url);
      expect([400, 404], `${method} ${url}`).toContain(res.statusCode);
    }
    // A role name the pattern lets through is looked up by name, never put into a URL.
    const dots = await call(relayed, 'PUT', `/admin/idp/users/${bob?.id}/roles/..admin..`);
    expect(dots.statusCode).toBe(404);
    expect(relay.state.seen.filter((r) => /\.\.|%2f|%2e|%00/i.test(r))).toEqual([]);
    expect(await auditOf('idp.role.grant')).toHaveLength(1);
  });

  it('never says nothing was changed when the answer to a change is lost: it may have been made', async () => {
    const changes: [string, 'POST' | 'PUT' | 'PATCH', string, object | undefined][] = [
      ['^POST .*/users/?$', 'POST', '/admin/idp/users', { username: 'gina' }],
    ];
    const bob = await bobOf();
    changes.push(
      [`^PUT .*/users/${bob?.id}$`, 'PATCH', `/admin/idp/users/${bob?.id}`, { enabled: true }],
      [
        '^POST .*/role-mappings/clients/',
        'PUT',
        `/admin/idp/users/${bob?.id}/roles/users:manage`,
        undefined,
      ],
      [
        '/reset-password$',
        'POST',
        `/admin/idp/users/${bob?.id}/reset-password`,
        { password: 'a-temporary-one' },
      ],
      ['/logout$', 'POST', `/admin/idp/users/${bob?.id}/logout`, undefined],
    );
    for (const [lost, method, url, payload] of changes) {
      relay.state.loseAnswerOf = new RegExp(lost);
      const res = await call(relayed, method, url, payload);
      relay.state.loseAnswerOf = undefined;
      expect(res.statusCode, url).toBe(503);
      expect(res.json().code).toBe('idp_unavailable');
      expect(res.json().detail, url).not.toMatch(/nothing was changed/);
      expect(res.json().detail, url).toMatch(/may have been made/);
    }
    // It was: gina exists, and bob holds users:manage.
    const gina = await call(direct, 'GET', '/admin/idp/users?search=gina');
    expect(gina.json().items).toHaveLength(1);
    expect((await bobOf())?.permissions).toContain('users:manage');
  });

  it('says a change was made when its audit record cannot be written, and never that it failed', async () => {
    const { kysely } = direct.context.db;
    const bob = await bobOf();
    await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log refused'); END`.execute(
      kysely,
    );
    try {
      const answers = [
        await call(direct, 'POST', '/admin/idp/users', { username: 'ivy' }),
        await call(direct, 'PUT', `/admin/idp/users/${bob?.id}/roles/reports:generate`),
        await call(direct, 'POST', `/admin/idp/users/${bob?.id}/reset-password`, {
          password: 'another-temporary-one',
        }),
        await call(direct, 'POST', `/admin/idp/users/${bob?.id}/logout`),
      ];
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(500);
        expect(res.json().detail, res.body).toMatch(/at the identity provider/);
        expect(res.json().detail, res.body).toMatch(/audit record could not be written/);
        expect(res.json().detail, res.body).not.toMatch(/unexpected/);
      }
      expect(answers[0]?.json().detail).toMatch(/^The user ivy was made/);
      expect(answers[3]?.json().detail).toMatch(/ended/);
    } finally {
      await sql`DROP TRIGGER refuse_audit`.execute(kysely);
    }
    // The user was created: repeating the request would only be told it is taken.
    const ivy = await call(direct, 'GET', '/admin/idp/users?search=ivy');
    expect(ivy.json().items).toHaveLength(1);
  });

  it("calls the provider with the API's own service account, never with the admin's token", async () => {
    expect(relay.state.credentials.size).toBeGreaterThan(1);
    const sent = [...relay.state.credentials];
    expect(sent.some((c) => c.includes(adminToken))).toBe(false);
    // The client credentials grant (RFC 6749 §4.4: Basic), then the token it gave, only.
    expect(sent.filter((c) => c.startsWith('Basic ')).length).toBeGreaterThan(0);
    expect(sent.every((c) => /^(Basic|Bearer) /.test(c))).toBe(true);
  });
});
