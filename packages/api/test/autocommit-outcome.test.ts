import { Writable } from 'node:stream';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autocommitOutcomeUnknown } from '../src/db/write-outcome.js';
import { createLogger } from '../src/http/logger.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';
import { startTcpCut, type TcpCut } from './support/tcp-cut.js';

/** The extended-protocol messages of the denial's audit INSERT (sent outside a transaction). */
const AUDIT_INSERT = /insert into "audit_log"/i;
/** The extended-protocol messages of the agent's last-use upsert (sent outside a transaction). */
const AGENT_UPSERT = /insert into "agent_clients"/i;

describe('which failures of a write outside a transaction leave it unknown', () => {
  it('a connection lost on PostgreSQL, not one never made, an ERROR answer, nor SQLite', () => {
    const lost = new Error('Connection terminated unexpectedly');
    expect(autocommitOutcomeUnknown('postgres', lost)).toBe(true);
    expect(autocommitOutcomeUnknown('sqlite', lost)).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(autocommitOutcomeUnknown('postgres', refused)).toBe(false);
    const waited = new Error('timeout exceeded when trying to connect');
    expect(autocommitOutcomeUnknown('postgres', waited)).toBe(false);
    const answered = Object.assign(new Error('canceling statement'), { severity: 'ERROR' });
    expect(autocommitOutcomeUnknown('postgres', answered)).toBe(false);
  });
});

/**
 * Two writes are sent outside any transaction: an authorization denial's audit record, written
 * after the denial is decided, and an agent's last use, recorded after the response. A connection
 * lost after such a statement was sent leaves it unknown whether the row is stored. The request
 * keeps its ordinary answer (the denial stands either way; the agent's call was served), and the
 * log says the row may or may not be there, not that it could not be written. Real PostgreSQL
 * behind a TCP relay that cuts the connection once the statement has reached the server.
 */
describe.skipIf(!postgresAvailable)(
  'a write outside a transaction whose connection is lost',
  () => {
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

    it('is still answered 403, stored, and logged as maybe written', async () => {
      relay.cutAt(AUDIT_INSERT, { forward: true });
      const denied = await instance.app.inject({
        url: '/admin/audit',
        headers: { authorization: `Bearer ${await idp.accessToken(alice)}` },
      });
      expect(denied.statusCode, denied.body).toBe(403);
      const { rows } = await direct.query(
        "select count(*)::int as n from audit_log where outcome = 'denied'",
      );
      expect(rows[0].n).toBe(1);
      const about = lines.filter((l) => /audit record of a denial/.test(l.msg));
      expect(about.map((l) => [l.level, l.msg])).toEqual([
        [
          50,
          'the audit record of a denial may or may not have been written: the connection to the database was lost after it was sent',
        ],
      ]);
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
  },
);
