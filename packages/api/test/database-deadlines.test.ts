import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { SILENT_AFTER_MS, STATEMENT_TIMEOUT_MS } from '../src/db/deadlines.js';
import { DATABASE_PROBE_MS } from '../src/routes/health.js';
import type { Answer, Node } from './support/cluster.js';
import { closeRelayedPair, relayedPair, send, statusOnceBack } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';
import type { TcpCut } from './support/tcp-cut.js';

/**
 * A request whose statement the database does not answer: stuck behind another session's lock,
 * or on a connection gone silent (a partition). Over real HTTP, against PostgreSQL directly
 * and through a relay that can go silent. The answer is 503 with `Retry-After` within a bound,
 * never a hang, and `/readyz` answers within its own.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

/**
 * The statement timeout the instances here run with: shorter than the default (10 s, tested
 * below), so that the waits on it are short; the connection still goes silent only 5 s past it.
 */
const STATEMENT_MS = 2_000;
const SILENT_MS = STATEMENT_MS + (SILENT_AFTER_MS - STATEMENT_TIMEOUT_MS);

/** The request's answer and how long it took, or `hung` after `limitMs`. */
async function timed(request: Promise<Answer>, limitMs: number) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), limitMs);
  });
  const answer = await Promise.race([request, hung]);
  clearTimeout(timer);
  return { answer, ms: performance.now() - started };
}

/** An answer came (no hang), and it is the 503 of an unavailable database, with Retry-After. */
function expectUnavailable(answer: Answer | 'hung'): void {
  expect(answer).not.toBe('hung');
  const { status, headers, body } = answer as Answer;
  expect({ status, retryAfter: headers.get('retry-after'), code: body.code }).toEqual({
    status: 503,
    retryAfter: '5',
    code: 'unavailable',
  });
}

describe.skipIf(skip)('statements the database does not answer', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let relay: TcpCut;
  let direct: Node;
  let relayed: Node;
  let admin: pg.Client;
  let token: string;

  beforeAll(async () => {
    if (skip) return;
    const short = { ...database, config: { ...database.config, statementTimeoutMs: STATEMENT_MS } };
    ({ relay, a: relayed, b: direct } = await relayedPair(idp, short));
    admin = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await admin.connect();
    token = await idp.accessToken(alice);
  });
  afterEach(() => {
    relay?.thaw();
    if (relay) relay.latencyMs = 0;
  });
  afterAll(async () => {
    relay?.thaw();
    await admin?.end();
    await closeRelayedPair({ relay, a: relayed, b: direct });
  });

  it('a statement stuck behind a lock: cancelled by the server, 503 with Retry-After, then served again', async () => {
    expect((await send(direct, 'GET', '/todos/', { token })).status).toBe(200);
    await admin.query('begin');
    await admin.query('lock table todos in access exclusive mode');
    try {
      const { answer, ms } = await timed(
        send(direct, 'GET', '/todos/', { token }),
        STATEMENT_MS + 5_000,
      );
      expectUnavailable(answer);
      expect(ms).toBeGreaterThan(STATEMENT_MS - 500);
      // Readiness does not wait on the lock's table.
      expect((await send(direct, 'GET', '/readyz')).status).toBe(200);
    } finally {
      await admin.query('rollback');
    }
    expect((await send(direct, 'GET', '/todos/', { token })).status).toBe(200);
  }, 30_000);

  it('a connection silent under a statement: 503 once its deadline passed, /readyz within its own; then served again', async () => {
    expect((await send(relayed, 'GET', '/todos/', { token })).status).toBe(200);
    relay.latencyMs = 300;
    const inFlight = timed(send(relayed, 'GET', '/todos/', { token }), SILENT_MS + 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    relay.freeze();

    const probe = await timed(send(relayed, 'GET', '/readyz'), DATABASE_PROBE_MS + 2_000);
    expect(probe.answer).not.toBe('hung');
    expect((probe.answer as Answer).status).toBe(503);
    expect((probe.answer as Answer).body).toMatchObject({ checks: { database: false } });

    expectUnavailable((await inFlight).answer);

    relay.thaw();
    relay.latencyMs = 0;
    expect(await statusOnceBack(() => send(relayed, 'GET', '/todos/', { token }))).toBe(200);
  }, 60_000);

  it('by default a statement may run 10 s (as the API README says), silent 5 s past it', async () => {
    expect({ STATEMENT_TIMEOUT_MS, SILENT_AFTER_MS }).toEqual({
      STATEMENT_TIMEOUT_MS: 10_000,
      SILENT_AFTER_MS: 15_000,
    });
    const db = openDatabase(database.config);
    try {
      const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(
        db.kysely,
      );
      expect(rows[0]?.statement_timeout).toBe('10s');
    } finally {
      await db.close();
    }
  });

  it('refuses a deadline that is not a whole number of milliseconds of at least 1 (0 would be none)', () => {
    const url = database.config.kind === 'postgres' ? database.config.url : '';
    for (const statementTimeoutMs of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => openDatabase({ kind: 'postgres', url, statementTimeoutMs })).toThrow(
        /statementTimeoutMs must be a whole number of milliseconds of at least 1/,
      );
  });
});
