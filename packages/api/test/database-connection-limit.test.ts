/**
 * PostgreSQL that accepts no more connections (SQLSTATE 53300: `max_connections` reached, or the
 * database's `CONNECTION LIMIT`). At start the API exits with one line that says so and what to
 * do; at run time each request is 503 with `Retry-After`, nothing is written, `/readyz` tells
 * the truth, and the API serves again once connections are accepted.
 */
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, listeningNode, type Node, send } from './support/cluster.js';
import {
  postgresAvailable,
  postgresDatabase,
  TEST_DATABASE_URL,
  type TestDatabase,
} from './support/databases.js';
import { startToExit } from './support/start-to-exit.js';

describe.skipIf(!postgresAvailable)('PostgreSQL accepting no more connections', () => {
  let database: TestDatabase;
  let name: string;
  let idp: TestIssuer;
  let admin: pg.Client;
  beforeAll(async () => {
    database = await postgresDatabase();
    name = new URL((database.config as { url: string }).url).pathname.slice(1);
    idp = await startTestIssuer({ profile: 'keycloak' });
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${name} CONNECTION LIMIT -1`).catch(() => {});
    await admin?.end();
    await idp?.close();
    await database?.drop();
  });

  /** The API's sessions on the database, ended as an operator or a restart of PostgreSQL does. */
  const endSessions = () =>
    admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );

  /** Rows of each kind a refused request could have written. */
  async function counts() {
    const owner = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await owner.connect();
    try {
      const { rows } = await owner.query(
        `select (select count(*) from todos) as todos, (select count(*) from lists) as lists,
                (select count(*) from audit_log) as audit,
                (select count(*) from idempotency_keys) as keys,
                (select max(version) from todos) as version`,
      );
      return rows[0];
    } finally {
      await owner.end();
    }
  }

  it('at run time: 503 with Retry-After for reads and writes, nothing written, /readyz 503; then served again', async () => {
    const node: Node = await listeningNode(idp, database);
    try {
      const token = await idp.accessToken(alice);
      const made = await send(node, 'POST', '/todos/', { token, body: { title: 'kept' } });
      expect(made.status).toBe(201);
      const id = (made.body as { id: string }).id;

      const before = await counts();
      await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT 0`);
      await endSessions();
      const answers: Answer[] = [
        await send(node, 'POST', '/todos/', { token, body: { title: 'refused' } }),
        await send(node, 'PATCH', `/todos/${id}`, { token, body: { completed: true } }),
        await send(node, 'GET', '/todos/', { token }),
        await send(node, 'POST', '/lists/', { token, body: { name: 'refused' } }),
      ];
      for (const answer of answers)
        expect({
          status: answer.status,
          code: answer.body.code,
          retryAfter: answer.headers.get('retry-after'),
        }).toEqual({ status: 503, code: 'unavailable', retryAfter: '5' });
      const ready = await send(node, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ checks: { database: false } });

      await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT -1`);
      const list = await send(node, 'GET', '/todos/', { token });
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ title: 'kept', completed: false }),
      ]);
      expect(await counts()).toEqual(before);
    } finally {
      await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT -1`);
      await node.instance.close();
    }
  }, 30_000);

  it('at start: exit 1 with one line naming the limit and what to do', async () => {
    await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT 0`);
    try {
      const url = (database.config as { url: string }).url;
      const run = await startToExit({
        OIDC_ISSUER: 'https://sso.example.com/realms/todo-app',
        API_PUBLIC_URL: 'https://api.example.com',
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'todo-api-secret',
        DATABASE_URL: url,
      });
      const where = `${new URL(url).hostname}:${new URL(url).port}/${name}`;
      expect(run.code).toBe(1);
      expect(run.lines).toEqual([
        `todo-api: failed to start: the database in DATABASE_URL (${where}) cannot be used: too many connections for database "${name}"; PostgreSQL accepts no more connections: each API process holds up to 11 (a pool of 10 and the revocation feed's); end idle sessions (pg_stat_activity), or raise max_connections or the database's or user's CONNECTION LIMIT`,
      ]);
    } finally {
      await admin.query(`ALTER DATABASE ${name} CONNECTION LIMIT -1`);
    }
  }, 30_000);
});
