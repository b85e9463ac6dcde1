import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { compileOnce } from '../src/db/compiled.js';
import { openDatabase } from '../src/db/database.js';
import { STATEMENT_TIMEOUT_MS } from '../src/db/deadlines.js';
import {
  CONNECT_TIMEOUT_MS,
  createPool,
  firstRow,
  POOL_SIZE,
  prepareOnServer,
  QUEUE_TIMEOUT_MS,
  transactionOfOne,
} from '../src/db/postgres-pool.js';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { postgresAvailable, postgresDatabase, useMigratedDb } from './support/databases.js';

describe.skipIf(!postgresAvailable)('the PostgreSQL pool', () => {
  const db = useMigratedDb({ skip: !postgresAvailable, create: postgresDatabase });

  it('queues a request while every connection is busy, beyond the connect timeout', async () => {
    // Every connection held for longer than opening a connection may take.
    const holdMs = CONNECT_TIMEOUT_MS + 500;
    const holders = Array.from({ length: POOL_SIZE }, () =>
      sql`select pg_sleep(${holdMs / 1000})`.execute(db.kysely),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    const queued = await sql<{ n: number }>`select 1 as n`.execute(db.kysely);
    const waited = performance.now() - started;
    await Promise.all(holders);
    expect(queued.rows).toEqual([{ n: 1 }]);
    expect(waited).toBeGreaterThan(CONNECT_TIMEOUT_MS);
    expect(waited).toBeLessThan(QUEUE_TIMEOUT_MS);
  }, 30_000);

  it('parses and plans a statement compiled once only once per connection', async () => {
    const byDepartment = compileOnce<{ sub: string }, 'department'>((param) =>
      db.kysely
        .selectFrom('owners')
        .select('sub')
        .where('department', '=', param('department'))
        .orderBy('sub'),
    );
    await db.kysely
      .insertInto('owners')
      .values(
        ['a', 'b', 'c'].map((sub, i) => ({
          issuer: 'https://idp.test/realms/pool',
          sub,
          username: sub,
          department: i < 2 ? 'pool-eng' : 'pool-ops',
          last_seen_at: new Date().toISOString(),
        })),
      )
      .execute();
    const query = byDepartment({ department: 'pool-eng' });
    const seen = await db.kysely.connection().execute(async (connection) => {
      const first = await connection.executeQuery(query);
      const second = await connection.executeQuery(byDepartment({ department: 'pool-ops' }));
      const prepared = await sql<{ name: string }>`
        select name from pg_prepared_statements where statement = ${query.sql}`.execute(connection);
      return { first: first.rows, second: second.rows, prepared: prepared.rows };
    });
    expect(seen.first).toEqual([{ sub: 'a' }, { sub: 'b' }]);
    expect(seen.second).toEqual([{ sub: 'c' }]);
    // One named statement on this connection, used for both calls.
    expect(seen.prepared).toEqual([{ name: expect.stringMatching(/^todo_sso_\d+$/) }]);
  });

  it('runs one statement as a transaction of its own, BEGIN sent with it', async () => {
    const issuer = 'https://idp.test/realms/one';
    const insert = (sub: string) =>
      db.kysely
        .insertInto('owners')
        .values({ issuer, sub, username: sub, last_seen_at: new Date().toISOString() })
        .compile();
    const subs = async () =>
      (
        await db.kysely
          .selectFrom('owners')
          .select('sub')
          .where('issuer', '=', issuer)
          .orderBy('sub')
          .execute()
      ).map((row) => row.sub);
    const { transactionOfOne } = db;
    if (transactionOfOne === undefined) throw new Error('PostgreSQL runs transactionOfOne');
    const failureOf = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (e: unknown) => e,
      );
    await transactionOfOne(insert('q1'));
    expect(await subs()).toEqual(['q1']);
    // Inside a transaction block: VACUUM refuses to run there (SQLSTATE 25001).
    const vacuum = await failureOf(transactionOfOne({ sql: 'vacuum owners', parameters: [] }));
    expect(vacuum).toMatchObject({ code: '25001' });
    // A failing statement: its own error, not "unavailable"; nothing stored.
    const duplicate = await failureOf(transactionOfOne(insert('q1')));
    expect(duplicate).toMatchObject({ code: '23505' });
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    // Every connection was rolled back and still writes; none is left inside a transaction.
    await Promise.all(
      Array.from({ length: POOL_SIZE * 2 }, (_, i) => transactionOfOne(insert(`r${i}`))),
    );
    expect(await subs()).toHaveLength(1 + POOL_SIZE * 2);
    const open = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`.execute(db.kysely);
    expect(open.rows).toEqual([{ n: 0 }]);
  });
  it('reads a first row on a pooled connection and returns the connection after an error', async () => {
    const bySub = compileOnce<{ username: string }, 'sub'>((param) =>
      db.kysely.selectFrom('owners').select('username').where('sub', '=', param('sub')),
    );
    await db.kysely
      .insertInto('owners')
      .values({
        issuer: 'https://idp.test/realms/first',
        sub: 'first-a',
        username: 'Ann',
        last_seen_at: new Date().toISOString(),
      })
      .execute();
    expect(await db.readFirst(bySub({ sub: 'first-a' }))).toEqual({ username: 'Ann' });
    expect(await db.readFirst(bySub({ sub: 'first-none' }))).toBeUndefined();
    // A failing statement rejects with the server's error, every time: no connection is kept.
    const failing = { ...sql<{ n: number }>`select 1 / 0 as n`.compile(db.kysely) };
    for (let i = 0; i <= POOL_SIZE; i += 1)
      await expect(db.readFirst(failing)).rejects.toMatchObject({ code: '22012' });
    expect(await db.readFirst(bySub({ sub: 'first-a' }))).toEqual({ username: 'Ann' });
  });

  it('keeps a connection usable when the first Parse of a named statement fails after BEGIN', async () => {
    if (db.config.kind !== 'postgres') throw new Error('a PostgreSQL suite');
    // Parse waits for the table's lock (parse analysis opens the table) and is cancelled by the
    // statement timeout (SQLSTATE 57014): the named statement never reaches the server.
    const url = new URL(db.config.url);
    url.searchParams.set('options', '-c statement_timeout=300');
    const pool = createPool(url.toString());
    const statement = {
      sql: 'insert into owners (issuer, sub, username, last_seen_at) values ($1, $2, $3, $4) /* parse-fails */',
      parameters: ['https://idp.test/realms/parse', 'p1', 'p1', new Date().toISOString()],
    };
    prepareOnServer(statement.sql);
    try {
      const blocker = await db.kysely.connection().execute(async (connection) => {
        await sql`begin`.execute(connection);
        await sql`lock table owners in access exclusive mode`.execute(connection);
        const failed = await transactionOfOne(pool, statement).then(
          () => undefined,
          (e: unknown) => e,
        );
        await sql`commit`.execute(connection);
        return failed;
      });
      expect(blocker).toMatchObject({ code: '57014' });
      // The pool's connections run the statement afterwards (none believes it prepared).
      await transactionOfOne(pool, statement);
      statement.parameters[1] = 'p2';
      await transactionOfOne(pool, statement);
      const rows = await db.kysely
        .selectFrom('owners')
        .select('sub')
        .where('issuer', '=', 'https://idp.test/realms/parse')
        .orderBy('sub')
        .execute();
      expect(rows).toEqual([{ sub: 'p1' }, { sub: 'p2' }]);
    } finally {
      await pool.end();
    }
  });

  it('sends BEGIN as a statement parsed once per connection, still usable after a failed write', async () => {
    if (db.config.kind !== 'postgres') throw new Error('a PostgreSQL suite');
    const pool = createPool(db.config.url);
    const statement = {
      sql: 'insert into owners (issuer, sub, username, last_seen_at) values ($1, $2, $3, $4) /* named-begin */',
      parameters: ['https://idp.test/realms/begin', 'b1', 'b1', new Date().toISOString()],
    };
    prepareOnServer(statement.sql);
    try {
      // One after the other, so one connection (the pool reuses its most recently released).
      await transactionOfOne(pool, statement);
      // The same owner again: refused by the key, rolled back, the connection kept.
      await expect(transactionOfOne(pool, statement)).rejects.toMatchObject({ code: '23505' });
      statement.parameters[1] = 'b2';
      await transactionOfOne(pool, statement);
      const client = await pool.connect();
      try {
        const { rows } = await client.query(
          "select name from pg_prepared_statements where statement = 'BEGIN'",
        );
        expect(rows).toEqual([{ name: 'todo_sso_begin' }]);
        expect(pool.totalCount).toBe(1);
      } finally {
        client.release();
      }
      const owners = await db.kysely
        .selectFrom('owners')
        .select('sub')
        .where('issuer', '=', 'https://idp.test/realms/begin')
        .orderBy('sub')
        .execute();
      expect(owners).toEqual([{ sub: 'b1' }, { sub: 'b2' }]);
    } finally {
      await pool.end();
    }
  });
  it('keeps the statement timeout on a connection a reset returned to its defaults (DISCARD ALL, RESET ALL)', async () => {
    const shown = await db.kysely.connection().execute(async (connection) => {
      const show = async () =>
        (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(connection))
          .rows[0]?.statement_timeout;
      const before = await show();
      await sql`discard all`.execute(connection); // what a connection pooler's reset sends
      const discarded = await show();
      await sql`set statement_timeout = 0`.execute(connection);
      await sql`reset all`.execute(connection);
      return { before, discarded, reset: await show() };
    });
    const limit = `${STATEMENT_TIMEOUT_MS / 1000}s`;
    expect(shown).toEqual({ before: limit, discarded: limit, reset: limit });
  });

  /**
   * A pooler in front of the test server: each connection's start-up message goes to `refuse`,
   * which may answer an ErrorResponse's fields (FATAL, PostgreSQL 15 §55.7; the connection then
   * closes); otherwise the connection is passed through to the server.
   */
  async function pooler(refuse: (startup: Buffer) => string[] | undefined) {
    if (db.config.kind !== 'postgres') throw new Error('a PostgreSQL suite');
    const target = new URL(db.config.url);
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      sockets.add(client);
      client.once('data', (startup) => {
        const fields = refuse(startup);
        if (fields !== undefined) {
          const body = Buffer.concat([
            ...fields.map((f) => Buffer.from(`${f}\0`)),
            Buffer.from([0]),
          ]);
          const header = Buffer.alloc(5);
          header.write('E');
          header.writeInt32BE(body.length + 4, 1);
          client.end(Buffer.concat([header, body]));
          return;
        }
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(upstream);
        upstream.write(startup);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(db.config.url);
    url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url: url.toString(),
      async close() {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it('opens connections without the start-up timeout behind a pooler that refuses it, and still sets it', async () => {
    // A pooler in session mode that refuses an unknown start-up parameter, as pgbouncer does:
    // FATAL 08P01 (PostgreSQL 15 §55.7, ErrorResponse), then the connection closes.
    let refused = 0;
    const proxy = await pooler((startup) => {
      if (!startup.includes('statement_timeout\0')) return undefined;
      refused += 1;
      return ['SFATAL', 'VFATAL', 'C08P01', 'Munsupported startup parameter: statement_timeout'];
    });
    const behind = openDatabase({ kind: 'postgres', url: proxy.url });
    const show = sql<{ statement_timeout: string }>`show statement_timeout`.compile(behind.kysely);
    try {
      // The first connection is refused (a 503 for its request), the next ones open without it.
      const first = await behind.readFirst(show).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(first).toMatchObject({ code: '08P01' });
      expect(isDatabaseUnavailable(first)).toBe(true);
      expect(await behind.readFirst(show)).toEqual({ statement_timeout: '10s' });
      expect(refused).toBe(1);
    } finally {
      await behind.close();
      await proxy.close();
    }
  });

  it('keeps the start-up timeout after a pooler refused a connection for another reason (08P01)', async () => {
    // pgbouncer answers every refusal of its own with SQLSTATE 08P01: a full pool, a server it
    // cannot reach (a restart), a login timeout. None says the start-up parameter is refused.
    let refusals = 1;
    const proxy = await pooler(() => {
      if (refusals === 0) return undefined;
      refusals -= 1;
      return ['SFATAL', 'VFATAL', 'C08P01', 'Mno more connections allowed (max_client_conn)'];
    });
    const behind = openDatabase({ kind: 'postgres', url: proxy.url });
    try {
      const first = await behind.kysely
        .selectNoFrom(sql<number>`1`.as('one'))
        .execute()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(first).toMatchObject({ code: '08P01' });
      // The next connection still starts with the limit: a reset keeps it.
      const shown = await behind.kysely.connection().execute(async (connection) => {
        await sql`discard all`.execute(connection);
        return (
          await sql<{ statement_timeout: string }>`show statement_timeout`.execute(connection)
        ).rows[0]?.statement_timeout;
      });
      expect(shown).toBe(`${STATEMENT_TIMEOUT_MS / 1000}s`);
    } finally {
      await behind.close();
      await proxy.close();
    }
  });

  it('gives up a connection whose prepared statements the server dropped (DISCARD ALL), and writes on the next', async () => {
    if (db.config.kind !== 'postgres') throw new Error('a PostgreSQL suite');
    const pool = createPool(db.config.url);
    const statement = {
      sql: 'insert into owners (issuer, sub, username, last_seen_at) values ($1, $2, $3, $4) /* discarded */',
      parameters: ['https://idp.test/realms/discard', 'd1', 'd1', new Date().toISOString()],
    };
    prepareOnServer(statement.sql);
    try {
      // One after the other, so one connection (the pool reuses its most recently released).
      await transactionOfOne(pool, statement);
      const client = await pool.connect();
      await client.query('DISCARD ALL'); // what a connection pooler's reset sends
      client.release();
      statement.parameters[1] = 'd2';
      // The connection still believes BEGIN and the statement prepared: this write fails...
      const dropped = await transactionOfOne(pool, statement).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(dropped).toMatchObject({ code: '26000' });
      // A retry succeeds: answered 503 with Retry-After, not 500 as a bug.
      expect(isDatabaseUnavailable(dropped)).toBe(true);
      // ...and the connection is not kept, so the next writes do not fail the same way.
      await transactionOfOne(pool, statement);
      statement.parameters[1] = 'd3';
      await transactionOfOne(pool, statement);
      // A named read on it parses again too.
      const read = {
        sql: 'select count(*)::int as n from owners where issuer = $1 /* discarded read */',
        parameters: ['https://idp.test/realms/discard'],
      };
      prepareOnServer(read.sql);
      await firstRow(pool, read);
      const again = await pool.connect();
      await again.query('DEALLOCATE ALL');
      again.release();
      await expect(firstRow(pool, read)).rejects.toMatchObject({ code: '26000' });
      expect(await firstRow(pool, read)).toEqual({ n: 3 });
      expect(pool.totalCount).toBe(1);
      const owners = await db.kysely
        .selectFrom('owners')
        .select('sub')
        .where('issuer', '=', 'https://idp.test/realms/discard')
        .orderBy('sub')
        .execute();
      expect(owners).toEqual([{ sub: 'd1' }, { sub: 'd2' }, { sub: 'd3' }]);
    } finally {
      await pool.end();
    }
  });
});

describe('the PostgreSQL pool when the server does not answer', () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers "unavailable" after the connect timeout, not the longer queue timeout', async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const db = openDatabase({ kind: 'postgres', url: `postgres://u:p@127.0.0.1:${port}/db` });
    const started = performance.now();
    try {
      const error = await sql`select 1`.execute(db.kysely).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = performance.now() - started;
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(QUEUE_TIMEOUT_MS);
    } finally {
      await db.close().catch(() => {});
    }
  }, 30_000);
});
