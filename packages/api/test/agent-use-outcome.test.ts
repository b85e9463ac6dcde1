import { Writable } from 'node:stream';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/http/logger.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { startTcpCut, type TcpCut } from './support/tcp-cut.js';

/** The extended-protocol messages of the agent's last-use upsert (sent outside a transaction). */
const AGENT_UPSERT = /insert into "agent_clients"/i;

/**
 * An agent's use is recorded after the response, outside any transaction: a connection lost
 * after the upsert was sent leaves it unknown whether the use is stored. The request keeps its
 * answer, and the log says the use may or may not be recorded, not that it was not. Real
 * PostgreSQL behind a TCP relay that cuts the connection once the upsert has reached the server.
 */
describe.skipIf(!postgresAvailable)("an agent's use whose upsert loses its connection", () => {
  let database: TestDatabase;
  let relay: TcpCut;
  let idp: TestIssuer;
  let instance: Instance;
  let direct: pg.Client;
  const lines: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    database = await postgresDatabase();
    const url = database.config.kind === 'postgres' ? database.config.url : '';
    relay = await startTcpCut(url);
    idp = await startTestIssuer({ profile: 'keycloak' });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.startsWith('{')) lines.push(JSON.parse(line));
        done();
      },
    });
    instance = await startInstance(testConfig(idp, { kind: 'postgres', url: relay.url }), {
      logger: createLogger('info', sink),
    });
    direct = new pg.Client({ connectionString: url });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    await instance?.close();
    await idp?.close();
    await relay?.close();
    await database?.drop();
  });

  it('is still answered 200, stored, and logged as maybe recorded', async () => {
    relay.cutAt(AGENT_UPSERT, { forward: true });
    const token = await idp.accessToken(alice, { client: 'shopping-agent' });
    const res = await instance.app.inject({
      url: '/todos/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    // Written after the response: wait for its log line.
    const deadline = Date.now() + 10_000;
    const about = () => lines.filter((l) => /agent use/.test(l.msg));
    while (about().length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(about().map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        'agent use may or may not have been recorded: the connection to the database was lost after it was sent',
      ],
    ]);
    const { rows } = await direct.query(
      "select count(*)::int as n from agent_clients where client_id = 'shopping-agent'",
    );
    expect(rows[0].n).toBe(1);
  });
});
