import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * A TCP relay in front of PostgreSQL counting the client's round trips: the messages after which
 * a client waits for the server's answer, `Sync` (the end of an extended-protocol batch) and
 * `Query` (a simple query), read from the frontend protocol's framing (a type byte and a length;
 * the startup message has no type byte).
 */
async function countingRelay(url: string) {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const relay = { roundTrips: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const header = started ? 5 : 4;
        if (pending.length < header) break;
        const length = pending.readInt32BE(started ? 1 : 0) + (started ? 1 : 0);
        if (pending.length < length) break;
        const type = started ? String.fromCharCode(pending[0] as number) : '';
        if (type === 'S' || type === 'Q') relay.roundTrips += 1;
        started = true;
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as AddressInfo).port);
  return {
    url: relayed.toString(),
    relay,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!postgresAvailable)('a keyed create on PostgreSQL', () => {
  let database: TestDatabase;
  let counting: Awaited<ReturnType<typeof countingRelay>>;
  let idp: TestIssuer;
  let instance: Instance;
  beforeAll(async () => {
    database = await postgresDatabase();
    counting = await countingRelay(database.config.kind === 'postgres' ? database.config.url : '');
    idp = await startTestIssuer({ profile: 'keycloak' });
    instance = await startInstance(testConfig(idp, { kind: 'postgres', url: counting.url }));
  });
  afterAll(async () => {
    await instance?.close();
    await idp?.close();
    await counting?.close();
    await database?.drop();
  });

  it('costs the database round trips of a plain create: the claim travels in its statement', async () => {
    const headers = { authorization: `Bearer ${await idp.accessToken(alice)}` };
    /** The round trips of one create (the fewest of three: a periodic task may add one). */
    const roundTrips = async (key?: () => string) => {
      let fewest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i += 1) {
        const before = counting.relay.roundTrips;
        const res = await instance.app.inject({
          method: 'POST',
          url: '/todos/',
          headers: { ...headers, ...(key && { 'idempotency-key': key() }) },
          payload: { title: `Round trip ${i}` },
        });
        expect(res.statusCode).toBe(201);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
        fewest = Math.min(fewest, counting.relay.roundTrips - before);
      }
      return fewest;
    };
    // The first create makes the default list; counted from then on.
    await roundTrips();
    const plain = await roundTrips();
    const keyed = await roundTrips(() => randomUUID());
    expect(plain).toBeGreaterThan(0);
    expect(keyed).toBe(plain);
    // A replay costs one statement too, its answer read in the same statement as the claim.
    const key = randomUUID();
    const create = (k: string) =>
      instance.app.inject({
        method: 'POST',
        url: '/todos/',
        headers: { ...headers, 'idempotency-key': k },
        payload: { title: 'Once' },
      });
    const first = await create(key);
    // The fewest of three replays, as above: a periodic task or a pool connection opened in the
    // window (its session settings are a round trip of their own) may add one to a single count.
    let fewest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i += 1) {
      const before = counting.relay.roundTrips;
      const replay = await create(key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toBe(first.body);
      fewest = Math.min(fewest, counting.relay.roundTrips - before);
    }
    expect(fewest).toBeLessThanOrEqual(plain);
  });

  it('into a named list, costs the round trips of a plain one: claim and insert one statement', async () => {
    const headers = { authorization: `Bearer ${await idp.accessToken(alice)}` };
    const list = await instance.app.inject({
      method: 'POST',
      url: '/lists/',
      headers,
      payload: { name: 'Round trips' },
    });
    expect(list.statusCode).toBe(201);
    const url = `/lists/${list.json().id}/todos/`;
    const roundTrips = async (key?: () => string) => {
      let fewest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i += 1) {
        const before = counting.relay.roundTrips;
        const res = await instance.app.inject({
          method: 'POST',
          url,
          headers: { ...headers, ...(key && { 'idempotency-key': key() }) },
          payload: { title: `Listed ${i}` },
        });
        expect(res.statusCode).toBe(201);
        expect(res.headers['idempotent-replayed']).toBeUndefined();
        fewest = Math.min(fewest, counting.relay.roundTrips - before);
      }
      return fewest;
    };
    const plain = await roundTrips();
    const keyed = await roundTrips(() => randomUUID());
    expect(plain).toBeGreaterThan(0);
    expect(keyed).toBe(plain);
    // The key still holds: its retry is answered as the first, nothing written twice.
    const key = randomUUID();
    const create = () =>
      instance.app.inject({
        method: 'POST',
        url,
        headers: { ...headers, 'idempotency-key': key },
        payload: { title: 'Listed once' },
      });
    const first = await create();
    const again = await create();
    expect(first.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
  });
});
