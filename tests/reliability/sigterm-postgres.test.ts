import { openDatabase } from '@todo-sso/api';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildApi, spawnApi } from './support/child-api.js';
import { postgresAvailable, postgresDatabase, type SuiteDatabase } from './support/databases.js';
import { waitForInFlight } from './support/in-flight.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const WRITES = 12;

type Outcome = { status: number; id?: string } | { error: string };

/**
 * SIGTERM while writes are in flight at PostgreSQL itself (a proxy delays every answer of the
 * database), on the API process: each write is committed with its audit record or not at all,
 * and its client gets a 201 only for one that is stored; otherwise an error status or a closed
 * connection. Once with answers slower than a request but well within the drain limit, once
 * with answers slower than the drain limit (10 s), where the process exits before they come.
 */
describe.skipIf(!postgresAvailable).each([
  { latencyMs: 400, drained: true },
  { latencyMs: 12_000, drained: false },
])(
  'SIGTERM with writes in flight at PostgreSQL (answers after $latencyMs ms)',
  ({ latencyMs, drained }) => {
    let database: SuiteDatabase;
    let proxy: TcpProxy;
    let idp: TestIssuer;
    let api: ChildApi;
    let outcomes: Outcome[];
    let exit: { code: number | null; signal: NodeJS.Signals | null };

    beforeAll(async () => {
      database = await postgresDatabase();
      proxy = await startTcpProxy(database.target ?? { host: '127.0.0.1', port: 5432 });
      idp = await startTestIssuer({ profile: 'keycloak' });
      api = await spawnApi({ OIDC_ISSUER: idp.issuer, ...database.via(proxy.host, proxy.port) });
      const token = await idp.accessToken(alice);
      const create = (title: string): Promise<Outcome> =>
        fetch(`${api.url}/todos/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title }),
        }).then(
          async (res) => ({ status: res.status, id: ((await res.json()) as { id?: string }).id }),
          (error: Error) => ({ error: error.message }),
        );
      // Keys loaded and connections open before the database slows down.
      expect(await create('warm')).toMatchObject({ status: 201 });
      proxy.latencyMs = latencyMs;
      const pending = Array.from({ length: WRITES }, (_, i) => create(`in flight ${i}`));
      // Signal once the API has accepted every write (its in-flight gauge shows them all), not
      // after a fixed delay: on a loaded machine a write may not have reached it by then, and
      // would be refused as a new connection rather than drained.
      await waitForInFlight(api.url, WRITES);
      api.child.kill('SIGTERM');
      outcomes = await Promise.all(pending);
      exit = await api.exited;
      proxy.latencyMs = 0;
      // A limit for a hang only: the slow case alone takes its 10 s drain limit, and starting the
      // API on a loaded machine many seconds more.
    }, 120_000);

    afterAll(async () => {
      await api?.stop('SIGKILL');
      await idp?.close();
      await proxy?.close();
      await database?.drop();
    });

    it(
      drained ? 'drains: exits 0 once every write is answered' : 'exits 1 at its drain limit',
      () => {
        expect(exit, api.output()).toEqual(
          drained ? { code: 0, signal: null } : { code: 1, signal: null },
        );
        if (drained) expect(outcomes.every((o) => 'status' in o && o.status === 201)).toBe(true);
      },
    );

    it('answers 201 only for a write that is stored, and every stored write has its audit record', async () => {
      const direct = openDatabase({ kind: 'postgres', url: database.env.DATABASE_URL ?? '' });
      try {
        // A transaction the server was still running when the process went is ended by then.
        await new Promise((resolve) => setTimeout(resolve, drained ? 0 : 500));
        const rows = await direct.kysely
          .selectFrom('todos')
          .select(['id', 'title'])
          .where('title', 'like', 'in flight %')
          .execute();
        const stored = new Set(rows.map((r) => r.id));
        const acknowledged = outcomes.flatMap((o) =>
          'status' in o && o.status === 201 ? [o.id] : [],
        );
        for (const id of acknowledged) expect(stored.has(id as string)).toBe(true);
        for (const o of outcomes)
          if ('status' in o && o.status !== 201) expect(o.status).toBeGreaterThanOrEqual(500);
        const audited = await sql<{ resource: string }>`
        select resource from audit_log where action = 'todo.create'`.execute(direct.kysely);
        const resources = new Set(audited.rows.map((r) => r.resource));
        for (const id of stored) expect(resources.has(`todo:${id}`)).toBe(true);
      } finally {
        await direct.close();
      }
    });
  },
);
