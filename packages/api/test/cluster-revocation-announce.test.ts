import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL } from '../src/revocation/bus.js';
import type { Node } from './support/cluster.js';
import { closeRelayedPair, relayedPair, send } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';
import type { TcpCut } from './support/tcp-cut.js';

/**
 * A revocation's announcement (`NOTIFY`) and its rows commit together, on PostgreSQL: instance A
 * reaches the database through a relay that can lose every connection at a chosen point,
 * instance B (and a plain `LISTEN` session) reach it directly, as another pod would.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('a revocation is announced by the transaction that stores it', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let relay: TcpCut;
  let a: Node;
  let b: Node;
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    ({ relay, a, b } = await relayedPair(idp, database));
    listener = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) heard.push(message.payload);
    });
    await listener.query(`LISTEN ${CHANNEL}`);
  });
  afterAll(async () => {
    relay?.restore();
    await listener?.end();
    await closeRelayedPair({ relay, a, b });
  });

  const logout = (node: Node, token: string) =>
    fetch(`${node.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });

  /** The stored revocation rows of session `sid`, read directly. */
  async function storedRows(sid: string): Promise<number> {
    const { rows } = await listener.query(
      `select count(*)::int as n from revocations where kind = 'session' and value = $1`,
      [sid],
    );
    return (rows[0] as { n: number }).n;
  }

  /** Milliseconds until `node` refuses `token` (401), or Infinity after `limitMs`. */
  async function refusedWithin(node: Node, token: string, limitMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < limitMs) {
      const answer = await send(node, 'GET', '/me', { token });
      if (answer.status === 401) {
        expect(answer.body).toMatchObject({ code: 'token_revoked' });
        return performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return Number.POSITIVE_INFINITY;
  }

  const heardOf = (sid: string) => heard.filter((payload) => payload.includes(`"${sid}"`));

  /**
   * The announcements of `sid` the plain LISTEN session has heard, once it has heard one (or
   * after 1 s). Each listening connection's backend delivers a NOTIFY on its own: on a busy
   * machine B may have heard it, and refused, before this session's backend has sent it on.
   */
  async function heardOfSoon(sid: string): Promise<string[]> {
    const started = performance.now();
    while (heardOf(sid).length === 0 && performance.now() - started < 1000)
      await new Promise((resolve) => setTimeout(resolve, 5));
    return heardOf(sid);
  }

  it('a connection lost right after the commit: 200, stored, and B refuses at once', async () => {
    const sid = 'lost-at-the-end';
    const token = await idp.accessToken(alice, { sessionId: sid });
    for (const node of [a, b]) expect((await send(node, 'GET', '/me', { token })).status).toBe(200);
    const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });

    // Every connection of A goes away once the logout's COMMIT (a simple query) is answered.
    relay.loseAfter(/^Q[\s\S]{4}commit\0/i);
    const answer = await logout(a, logoutToken);
    relay.restore();

    // Stored and answered alike: no 503 for a revocation that is stored.
    expect(answer.status).toBe(200);
    expect(await storedRows(sid)).toBe(1);
    // B learns of it from the commit itself, not from its periodic reload (30 s).
    expect(await refusedWithin(b, token, 1000)).toBeLessThan(1000);
    expect(await heardOfSoon(sid)).toHaveLength(1);
  });

  it('a transaction that rolls back after its NOTIFY: 503, nothing stored, nothing announced; the retry ends the session', async () => {
    const sid = 'rolled-back';
    const token = await idp.accessToken(alice, { sessionId: sid });
    for (const node of [a, b]) expect((await send(node, 'GET', '/me', { token })).status).toBe(200);
    const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });

    // A's connection is lost at the statement after the first pg_notify, inside the transaction:
    // PostgreSQL rolls it back.
    relay.loseAfter(/select pg_notify\(/);
    const answer = await logout(a, logoutToken);
    relay.restore();
    expect(answer.status).toBe(503);
    expect(await storedRows(sid)).toBe(0);
    // Nothing reaches the listeners (a committed NOTIFY arrives within milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(heardOf(sid)).toEqual([]);
    expect((await send(b, 'GET', '/me', { token })).status).toBe(200);

    // The IdP's retry (§2.8) finds the jti unclaimed and ends the session everywhere.
    expect((await logout(a, logoutToken)).status).toBe(200);
    expect(await storedRows(sid)).toBe(1);
    expect(await refusedWithin(b, token, 1000)).toBeLessThan(1000);
    expect(await heardOfSoon(sid)).toHaveLength(1);
  });
});
