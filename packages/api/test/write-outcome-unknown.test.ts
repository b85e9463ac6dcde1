import { randomUUID } from 'node:crypto';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import type { FastifyRequest, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { madeButNotRecorded } from '../src/admin-idp/change.js';
import { commitOutcomeUnknown, WriteOutcomeUnknownError } from '../src/db/write-outcome.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { startTcpCut, type TcpCut } from './support/tcp-cut.js';

/** A `COMMIT` sent as a simple query ('Q' message), as both the pool and Kysely send it. */
const COMMIT = /^Q[\s\S]{4}commit\0/i;
/** The batch that opens a one-statement write: `BEGIN` (a named statement) with the statement. */
const BEGIN_WITH_STATEMENT = /todo_sso_begin/;

const UNKNOWN = 'urn:todo-sso:problem:write-outcome-unknown';
const BASE = 'https://todo.example.com';

describe('which failures of a COMMIT leave its outcome unknown', () => {
  it('a lost connection or a FATAL, not an ERROR answer nor a COMMIT never sent', () => {
    expect(commitOutcomeUnknown(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(commitOutcomeUnknown(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(
      true,
    );
    const fatal = Object.assign(new Error('terminating connection due to administrator command'), {
      severity: 'FATAL',
      code: '57P01',
    });
    expect(commitOutcomeUnknown(fatal)).toBe(true);
    const rolledBack = Object.assign(new Error('could not serialize access'), {
      severity: 'ERROR',
      code: '40001',
    });
    expect(commitOutcomeUnknown(rolledBack)).toBe(false);
    const unsent = new Error('Client has encountered a connection error and is not queryable');
    expect(commitOutcomeUnknown(unsent)).toBe(false);
  });
});

describe('an admin change made at the provider whose audit record may or may not be stored', () => {
  it('is 503 write_outcome_unknown saying so, not "could not be written"', () => {
    const request = { log: { error() {} } } as unknown as FastifyRequest;
    const lost = new WriteOutcomeUnknownError(new Error('Connection terminated unexpectedly'));
    const error = madeButNotRecorded(request, lost, 'The user was disabled', {
      action: 'idp.user.disable',
      id: 'u1',
    });
    expect(error).toMatchObject({ code: 'write_outcome_unknown', status: 503 });
    expect(error.message).toMatch(/^The user was disabled at the identity provider, but /);
    expect(error.message).toMatch(/the record may or may not have been saved/);
    expect(error.message).not.toMatch(/could not be written/);
  });
});

describe.skipIf(!postgresAvailable)('a PostgreSQL connection lost at COMMIT', () => {
  let database: TestDatabase;
  let relay: TcpCut;
  let idp: TestIssuer;
  let instance: Instance;
  let direct: pg.Client;
  let auth: { authorization: string };
  beforeAll(async () => {
    database = await postgresDatabase();
    const url = database.config.kind === 'postgres' ? database.config.url : '';
    relay = await startTcpCut(url);
    idp = await startTestIssuer({ profile: 'keycloak' });
    instance = await startInstance(
      testConfig(idp, { kind: 'postgres', url: relay.url }, { API_PUBLIC_URL: BASE }),
    );
    direct = new pg.Client({ connectionString: url });
    await direct.connect();
    auth = { authorization: `Bearer ${await idp.accessToken(alice)}` };
    // The person's default list and profile exist before any cut.
    expect((await create('before any cut')).statusCode).toBe(201);
  });
  afterAll(async () => {
    await direct?.end();
    await instance?.close();
    await idp?.close();
    await relay?.close();
    await database?.drop();
  });

  const create = (title: string, key?: string) =>
    instance.app.inject({
      method: 'POST',
      url: '/todos/',
      headers: { ...auth, ...(key !== undefined && { 'idempotency-key': `"${key}"` }) },
      payload: { title },
    });
  /** Rows of `table` whose `column` is `value`, as PostgreSQL holds them. */
  const stored = async (table: 'todos' | 'lists', column: string, value: string) =>
    (await direct.query(`select count(*)::int as n from ${table} where ${column} = $1`, [value]))
      .rows[0].n as number;
  const expectUnknown = (response: LightMyRequestResponse) => {
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBe('5');
    const body = response.json();
    expect(body).toMatchObject({ type: UNKNOWN, code: 'write_outcome_unknown', status: 503 });
    expect(body.detail).toMatch(/may or may not have been saved/);
    expect(body.detail).toMatch(/same Idempotency-Key is safe/);
  };

  it('a keyed create committed but unanswered: 503 unknown, stored; the retry replays it, one todo', async () => {
    const key = randomUUID();
    relay.cutAt(COMMIT, { forward: true });
    const first = await create('committed, answer lost', key);
    expectUnknown(first);
    expect(await stored('todos', 'title', 'committed, answer lost')).toBe(1);
    const again = await create('committed, answer lost', key);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await stored('todos', 'title', 'committed, answer lost')).toBe(1);
    expect(await stored('todos', 'id', again.json().id)).toBe(1);
  });

  it('a keyed create whose COMMIT never reached the server: 503 unknown, not stored; the retry makes one', async () => {
    const key = randomUUID();
    relay.cutAt(COMMIT, { forward: false });
    expectUnknown(await create('commit lost on the way', key));
    expect(await stored('todos', 'title', 'commit lost on the way')).toBe(0);
    const again = await create('commit lost on the way', key);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(await stored('todos', 'title', 'commit lost on the way')).toBe(1);
  });

  it('a create cut before its COMMIT: the ordinary 503, nothing stored', async () => {
    relay.cutAt(BEGIN_WITH_STATEMENT, { forward: true });
    const response = await create('cut before commit', randomUUID());
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ code: 'unavailable' });
    expect(await stored('todos', 'title', 'cut before commit')).toBe(0);
  });

  it('an unkeyed create (the same one-statement transaction): 503 unknown', async () => {
    relay.cutAt(COMMIT, { forward: true });
    expectUnknown(await create('no key, committed'));
    expect(await stored('todos', 'title', 'no key, committed')).toBe(1);
  });

  it('a change in a transaction of several statements (Kysely): 503 unknown, as committed', async () => {
    const todo = (await create('to be renamed')).json() as { id: string };
    relay.cutAt(COMMIT, { forward: true });
    const renamed = await instance.app.inject({
      method: 'PATCH',
      url: `/todos/${todo.id}`,
      headers: auth,
      payload: { title: 'renamed, answer lost' },
    });
    expectUnknown(renamed);
    expect(await stored('todos', 'title', 'renamed, answer lost')).toBe(1);
  });

  it('a keyed list create: 503 unknown, stored; the retry replays it, one list', async () => {
    const key = randomUUID();
    const createList = () =>
      instance.app.inject({
        method: 'POST',
        url: '/lists/',
        headers: { ...auth, 'idempotency-key': `"${key}"` },
        payload: { name: 'List, answer lost' },
      });
    relay.cutAt(COMMIT, { forward: true });
    expectUnknown(await createList());
    expect(await stored('lists', 'name', 'List, answer lost')).toBe(1);
    const again = await createList();
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await stored('lists', 'name', 'List, answer lost')).toBe(1);
  });

  it('an MCP create_todo: a tool error saying so, stored; the call again with its key, one todo', async () => {
    const token = await idp.accessToken(alice, {
      claims: { aud: `${BASE}/mcp`, azp: 'agent-client' },
    });
    const args = { title: 'by an assistant, answer lost', idempotencyKey: randomUUID() };
    const call = async () => {
      const response = await instance.app.inject({
        method: 'POST',
        url: '/mcp',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        payload: {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'create_todo', arguments: args },
        },
      });
      expect(response.statusCode, response.body).toBe(200);
      const result = response.json().result as { isError?: boolean; content: { text: string }[] };
      return { isError: result.isError === true, body: JSON.parse(result.content[0]?.text ?? '') };
    };
    relay.cutAt(COMMIT, { forward: true });
    const first = await call();
    expect(first.isError).toBe(true);
    expect(first.body).toMatchObject({ code: 'write_outcome_unknown', status: 503 });
    expect(first.body.message).toMatch(/may or may not have been saved/);
    expect(first.body.message).toMatch(/same idempotencyKey/);
    const again = await call();
    expect(again.isError, JSON.stringify(again.body)).toBe(false);
    expect(await stored('todos', 'title', args.title)).toBe(1);
    expect(await stored('todos', 'id', again.body.id)).toBe(1);
  });

  it('a back-channel logout: 503 unknown, kept; the retry is refused as used and the session has ended', async () => {
    const sid = 'logout, answer lost';
    const token = await idp.accessToken(alice, { sessionId: sid });
    const me = () =>
      instance.app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).statusCode).toBe(200);
    const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });
    const logout = () =>
      instance.app.inject({
        method: 'POST',
        url: '/auth/backchannel-logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ logout_token: logoutToken }).toString(),
      });
    relay.cutAt(COMMIT, { forward: true });
    const first = await logout();
    expect(first.statusCode, first.body).toBe(503);
    expect(first.headers['retry-after']).toBe('5');
    expect(first.json()).toMatchObject({ type: UNKNOWN, code: 'write_outcome_unknown' });
    expect(first.json().detail).toMatch(/may or may not have been kept/);
    const kept = await direct.query(
      `select count(*)::int as n from revocations where kind = 'session' and value = $1`,
      [sid],
    );
    expect(kept.rows[0].n).toBe(1);
    expect((await logout()).statusCode).toBe(400);
    // The revocation is in the database; this instance learns of it from its feed.
    let status = (await me()).statusCode;
    for (let i = 0; i < 50 && status === 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await me()).statusCode;
    }
    expect(status).toBe(401);
  });
});
