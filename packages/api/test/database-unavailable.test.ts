import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { startInstance, testConfig } from './support/harness.js';
import { startTcpCut, type TcpCut } from './support/tcp-cut.js';

/** A TCP server that does `onSocket` with every connection (a PostgreSQL that misbehaves). */
async function fakeServer(onSocket: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `postgres://u:p@127.0.0.1:${port}/db`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The error `work` rejects with. */
async function errorOf(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the database call to fail');
}

describe('which node-postgres errors mean "the database is unavailable" (503, not 500)', () => {
  it('a refused connection (ECONNREFUSED)', async () => {
    const gone = await fakeServer(() => {});
    await gone.close();
    const client = new pg.Client({ connectionString: gone.url });
    const error = await errorOf(() => client.connect());
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('a server that hangs up during the handshake ("Connection terminated unexpectedly")', async () => {
    const rude = await fakeServer((socket) => socket.once('data', () => socket.destroy()));
    try {
      const client = new pg.Client({ connectionString: rude.url });
      client.on('error', () => {});
      const error = await errorOf(() => client.connect());
      expect(error.message).toMatch(/Connection terminated unexpectedly/);
      expect((error as { code?: string }).code).toBeUndefined();
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await rude.close();
    }
  });

  it('no connection within the pool timeout (pg-pool and client timeouts)', async () => {
    const silent = await fakeServer(() => {});
    const pool = new pg.Pool({ connectionString: silent.url, connectionTimeoutMillis: 100 });
    pool.on('error', () => {});
    try {
      const error = await errorOf(() => pool.query('select 1'));
      expect(error.message).toMatch(/timeout/i);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await pool.end().catch(() => {});
      await silent.close();
    }
  });

  it('a query on a client that was closed', async () => {
    const client = new pg.Client({ connectionString: 'postgres://u:p@127.0.0.1:1/db' });
    await client.end();
    const error = await errorOf(() => client.query('select 1'));
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('a wrapped error, judged by its cause; not an ordinary bug', () => {
    const lost = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(isDatabaseUnavailable(lost)).toBe(true);
    expect(isDatabaseUnavailable(new Error('could not save', { cause: lost }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([lost], 'all attempts failed'))).toBe(true);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable('Connection terminated')).toBe(false);
  });
});

describe.skipIf(!postgresAvailable)('a PostgreSQL connection dropped under a query', () => {
  let database: TestDatabase;
  let relay: TcpCut;
  let idp: TestIssuer;
  beforeAll(async () => {
    database = await postgresDatabase();
    const url = database.config.kind === 'postgres' ? database.config.url : '';
    relay = await startTcpCut(url);
    idp = await startTestIssuer({ profile: 'keycloak' });
  });
  afterAll(async () => {
    await idp?.close();
    await relay?.close();
    await database?.drop();
  });

  it('rejects the query as unavailable and leaves the pool usable (no unheard error event)', async () => {
    const db = openDatabase({ kind: 'postgres', url: relay.url });
    try {
      await sql`select 1`.execute(db.kysely);
      const pending = errorOf(() => sql`select pg_sleep(2)`.execute(db.kysely));
      await new Promise((resolve) => setTimeout(resolve, 100));
      relay.cut();
      const error = await pending;
      expect(error.message).toMatch(/Connection terminated unexpectedly/);
      expect(isDatabaseUnavailable(error)).toBe(true);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('answers a write in flight with 503 problem and Retry-After, and stores nothing', async () => {
    const instance = await startInstance(testConfig(idp, { kind: 'postgres', url: relay.url }));
    try {
      const auth = { authorization: `Bearer ${await idp.accessToken(alice)}` };
      const post = () =>
        instance.app.inject({
          method: 'POST',
          url: '/todos/',
          headers: auth,
          payload: { title: 'in flight at the cut' },
        });
      expect((await post()).statusCode).toBe(201);
      relay.latencyMs = 300;
      const pending = post();
      await new Promise((resolve) => setTimeout(resolve, 100));
      relay.cut();
      const response = await pending;
      relay.latencyMs = 0;
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ status: 503, code: 'unavailable' });
      // An idle pool connection cut at the same moment may not have reported its end yet and
      // fail one more query (503 again): retry as a client honouring Retry-After would.
      let list = await instance.app.inject({ url: '/todos/', headers: auth });
      for (let i = 0; i < 20 && list.statusCode === 503; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        list = await instance.app.inject({ url: '/todos/', headers: auth });
      }
      expect(list.statusCode, list.body).toBe(200);
      const titles = (list.json() as { items: { title: string }[] }).items.map((t) => t.title);
      expect(titles).toEqual(['in flight at the cut']);
    } finally {
      await instance.close();
    }
  });
});
