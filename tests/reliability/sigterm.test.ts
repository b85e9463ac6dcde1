import { readFileSync } from 'node:fs';
import { openDatabase } from '@todo-sso/api';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildApi, productionNodeFlags, spawnApi } from './support/child-api.js';
import { type SuiteDatabase, sqliteDatabase } from './support/databases.js';
import { waitForInFlight } from './support/in-flight.js';

const IN_FLIGHT = 20;

/** Whether a socket listens on `port` (Linux: a LISTEN entry, state 0A, in /proc/net/tcp). */
function listening(port: number): boolean {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(local) === true && fields[3] === '0A';
    });
}

/**
 * SIGTERM while requests are in flight on the API process (`node packages/api/dist/server.js`):
 * it stops accepting, lets every request it accepted finish, and exits 0; the writes it
 * acknowledged are stored. The requests are held in flight by a JWKS that answers after 1.5 s,
 * and the signal comes once the API's in-flight gauge shows all of them.
 */
describe('SIGTERM during load', () => {
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let api: ChildApi;
  let answers: ({ status: number; id?: string } | { error: string })[];
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  let afterSignal: { status: number } | { error: string };
  let exitedAfterMs: number;
  let commandLine: string[];

  beforeAll(async () => {
    database = sqliteDatabase();
    idp = await startTestIssuer({ profile: 'keycloak' });
    api = await spawnApi({ OIDC_ISSUER: idp.issuer, ...database.env });
    commandLine = readFileSync(`/proc/${api.child.pid}/cmdline`, 'utf8').split('\0');
    idp.setFault('slow', { delayMs: 1500, endpoints: ['jwks'] });
    const token = await idp.accessToken(alice);
    const pending = Array.from({ length: IN_FLIGHT }, (_, i) =>
      fetch(`${api.url}/todos/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `in flight ${i}` }),
      }).then(
        async (res) => ({ status: res.status, id: ((await res.json()) as { id?: string }).id }),
        (error: Error) => ({ error: error.message }),
      ),
    );
    // Signal only once the API holds every request (its in-flight gauge says so): on a loaded
    // machine some requests may not have reached it yet after any fixed delay.
    await waitForInFlight(api.url, IN_FLIGHT);
    const signalled = Date.now();
    api.child.kill('SIGTERM');
    // A new connection is tried once the API has taken the signal and closed its listener, not
    // after a fixed delay (100 ms, which a loaded machine could spend before the API runs at
    // all, and the connection was then accepted). The deadline only bounds a hang.
    const port = Number(new URL(api.url).port);
    while (
      (!api.output().includes('SIGTERM received') || listening(port)) &&
      Date.now() - signalled < 5_000
    )
      await new Promise((r) => setTimeout(r, 10));
    afterSignal = await fetch(`${api.url}/healthz`).then(
      (res) => ({ status: res.status }),
      (error: Error) => ({ error: (error.cause as Error | undefined)?.message ?? error.message }),
    );
    answers = await Promise.all(pending);
    exit = await api.exited;
    exitedAfterMs = Date.now() - signalled;
    // A limit for a hang only: on a loaded machine starting the API alone can take many seconds.
  }, 120_000);

  afterAll(async () => {
    await api?.stop('SIGKILL');
    await idp?.close();
    await database?.drop();
  });

  it('runs the API with the node flags of its start script, as production does', () => {
    const flags = productionNodeFlags();
    expect(flags).toContain('--max-semi-space-size=64');
    expect(commandLine.slice(1, 1 + flags.length)).toEqual(flags);
  });

  it('finishes every request that was in flight when the signal came', () => {
    expect(answers.map((a) => ('status' in a ? a.status : a.error))).toEqual(
      Array(IN_FLIGHT).fill(201),
    );
  });

  it('stops accepting new connections once signalled', () => {
    expect(afterSignal).toEqual({ error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('exits 0 after draining, well within its 10 s drain limit', () => {
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(5_000);
  });

  it('stored every write it acknowledged', async () => {
    const db = openDatabase({ kind: 'sqlite', file: `${database.env.DATA_DIR}/todo.db` });
    try {
      const rows = await db.kysely.selectFrom('todos').select(['id']).execute();
      const acknowledged = answers.flatMap((a) => ('id' in a && a.id ? [a.id] : []));
      expect(rows.map((r) => r.id).sort()).toEqual(acknowledged.sort());
    } finally {
      await db.close();
    }
  });
});
