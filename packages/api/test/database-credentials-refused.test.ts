import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { type Answer, listeningNode, type Node, send } from './support/cluster.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';

/**
 * A relay in front of PostgreSQL that, once `refuse` is set, presents each new connection under
 * a user the server does not know, so the server itself refuses it as it refuses a password
 * rotated under a running API (SQLSTATE 28P01: with SCRAM the server does not tell an unknown
 * user from a wrong password). Open connections are left alone.
 */
async function startRefusingRelay(url: string) {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const state = { refuse: false };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    let first = true;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      upstream.write(first && state.refuse ? renamedStartup(chunk) : chunk);
      first = false;
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const through = new URL(url);
  through.hostname = '127.0.0.1';
  through.port = String((server.address() as AddressInfo).port);
  return {
    url: through.toString(),
    state,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A start-up message (PostgreSQL 15 §55.7, StartupMessage) with another `user`. */
function renamedStartup(message: Buffer): Buffer {
  const pairs = message
    .subarray(8, message.length - 1)
    .toString('utf8')
    .split('\0');
  const index = pairs.indexOf('user');
  if (index >= 0) pairs[index + 1] = 'todo_sso_password_rotated';
  const body = Buffer.from(`${pairs.join('\0')}\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  message.copy(head, 4, 4, 8);
  return Buffer.concat([head, body]);
}

describe.skipIf(!postgresAvailable)('PostgreSQL refusing the API’s credentials at run time', () => {
  let database: TestDatabase;
  let relay: Awaited<ReturnType<typeof startRefusingRelay>>;
  let idp: TestIssuer;
  let node: Node;
  let admin: pg.Client;
  let token: string;
  beforeAll(async () => {
    database = await postgresDatabase();
    const url = (database.config as { url: string }).url;
    relay = await startRefusingRelay(url);
    idp = await startTestIssuer({ profile: 'keycloak' });
    node = await listeningNode(idp, {
      config: { kind: 'postgres', url: relay.url },
      drop: async () => {},
    });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    token = await idp.accessToken(alice);
  });
  afterAll(async () => {
    await admin?.end();
    await node?.instance.close();
    await idp?.close();
    await relay?.close();
    await database?.drop();
  });

  it('answers 503 with Retry-After (not 500) while new connections are refused, stores nothing, and recovers', async () => {
    const created = await send(node, 'POST', '/todos/', { token, body: { title: 'before' } });
    expect(created.status).toBe(201);
    // The password is rotated: the API's open connections end (as an operator ends them after
    // a rotation), and every new one is refused.
    relay.state.refuse = true;
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`,
    );
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i += 1) {
      answers.push(await send(node, 'POST', '/todos/', { token, body: { title: `refused ${i}` } }));
      answers.push(await send(node, 'GET', '/todos/', { token }));
    }
    for (const answer of answers)
      expect({
        status: answer.status,
        code: answer.body.code,
        retryAfter: answer.headers.get('retry-after'),
      }).toEqual({ status: 503, code: 'unavailable', retryAfter: '5' });
    const ready = await send(node, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ checks: { database: false } });

    relay.state.refuse = false;
    const list = await send(node, 'GET', '/todos/', { token });
    expect(list.status).toBe(200);
    expect((list.body.items as { title: string }[]).map((t) => t.title)).toEqual(['before']);
    const { rows } = await admin.query<{ n: string }>(
      `select (select count(*) from todos) + (select count(*) from audit_log where action like 'todo.%') as n`,
    );
    expect(Number(rows[0]?.n)).toBe(2);
  }, 30_000);

  it('takes the server’s refusal of a user or a password as an outage, judged by its SQLSTATE', () => {
    for (const code of ['28P01', '28000'])
      expect(isDatabaseUnavailable(Object.assign(new Error('refused'), { code }))).toBe(true);
  });
});
