/**
 * A PostgreSQL whose operator bounds lock waits (`lock_timeout`, set on the database or the role:
 * PostgreSQL 15 §20.11.1): a write that waits longer for a row or table lock is cancelled by the
 * server (SQLSTATE 55P03, lock_not_available). That is contention, not a bug: 503 with
 * `Retry-After`, nothing written, and the write succeeds once the lock is released.
 */
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { listeningNode, type Node, send } from './support/cluster.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';

describe.skipIf(!postgresAvailable)('PostgreSQL with a lock_timeout', () => {
  let database: TestDatabase;
  let idp: TestIssuer;
  let node: Node;
  let owner: pg.Client;
  beforeAll(async () => {
    database = await postgresDatabase();
    const url = (database.config as { url: string }).url;
    owner = new pg.Client({ connectionString: url });
    await owner.connect();
    await owner.query(
      `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET lock_timeout = '300ms'`,
    );
    idp = await startTestIssuer({ profile: 'keycloak' });
    node = await listeningNode(idp, database);
  });
  afterAll(async () => {
    await owner?.end();
    await node?.instance.close();
    await idp?.close();
    await database?.drop();
  });

  it('answers a write cancelled on its lock wait 503 with Retry-After, writes nothing, then writes', async () => {
    const token = await idp.accessToken(alice);
    const made = await send(node, 'POST', '/todos/', { token, body: { title: 'first' } });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    await owner.query('begin');
    await owner.query('select id from todos where id = $1 for update', [id]);
    let refused: Awaited<ReturnType<typeof send>>;
    try {
      refused = await send(node, 'PATCH', `/todos/${id}`, { token, body: { completed: true } });
    } finally {
      await owner.query('rollback');
    }
    expect({
      status: refused.status,
      code: refused.body.code,
      retryAfter: refused.headers.get('retry-after'),
    }).toEqual({ status: 503, code: 'unavailable', retryAfter: '5' });
    const { rows } = await owner.query('select completed, version from todos where id = $1', [id]);
    expect(rows).toEqual([{ completed: false, version: 1 }]);
    const again = await send(node, 'PATCH', `/todos/${id}`, { token, body: { completed: true } });
    expect(again.status).toBe(200);
  });

  it('takes lock contention the server ended (55P03, 40001, 40P01) as retryable', () => {
    for (const code of ['55P03', '40001', '40P01'])
      expect(isDatabaseUnavailable(Object.assign(new Error('contention'), { code }))).toBe(true);
  });
});
