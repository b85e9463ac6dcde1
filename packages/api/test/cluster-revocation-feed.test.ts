import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL } from '../src/revocation/bus.js';
import { STALE_AFTER_MS } from '../src/revocation/freshness.js';
import type { Answer, Node } from './support/cluster.js';
import { closeRelayedPair, relayedPair, send, statusOnceBack } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';
import type { TcpCut } from './support/tcp-cut.js';

/**
 * The revocation feed (`LISTEN`) of one instance failing while another instance revokes, on
 * PostgreSQL: instance A reaches the database through a relay that can go silent (a partition,
 * a NAT that forgot an idle connection), instance B directly. A must never go on accepting a
 * token B revoked: it hears of it, reloads it, or answers 503 (fail closed), within
 * `STALE_AFTER_MS` of the revocation.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('an instance whose revocation feed fails', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  let relay: TcpCut;
  let a: Node;
  let b: Node;
  let admin: pg.Client;

  beforeAll(async () => {
    if (skip) return;
    ({ relay, a, b } = await relayedPair(idp, database, {}, (url) => {
      const throughRelay = new URL(url);
      throughRelay.searchParams.set('application_name', 'instance-a');
      return throughRelay.toString();
    }));
    admin = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await admin.connect();
  });
  afterEach(() => relay?.thaw());
  afterAll(async () => {
    relay?.thaw();
    await admin?.end();
    await closeRelayedPair({ relay, a, b });
  });

  /** A session's token both instances have verified (and cached), and its logout at B. */
  async function revokedAtB(sid: string): Promise<{ token: string; revoke: () => Promise<void> }> {
    const token = await idp.accessToken(alice, { sessionId: sid });
    for (const node of [a, b]) expect((await send(node, 'GET', '/me', { token })).status).toBe(200);
    const logoutToken = await idp.logoutToken({ sub: alice.sub, sid });
    return {
      token,
      async revoke() {
        const answer = await fetch(`${b.url}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: logoutToken }).toString(),
        });
        expect(answer.status).toBe(200);
      },
    };
  }

  /**
   * A's answers to `token` from now for `ms`: the last one, and how long A still accepted it
   * after `since` (when its last 200 was sent, or 0 when it never answered 200).
   */
  async function watchA(
    token: string,
    ms: number,
    until?: (answer: Answer) => boolean,
    since = performance.now(),
  ) {
    const started = performance.now();
    let acceptedFor = 0;
    let last: Answer | undefined;
    while (performance.now() - started < ms) {
      const sent = performance.now();
      last = await send(a, 'GET', '/me', { token });
      if (last.status === 200) acceptedFor = sent - since;
      if (until?.(last)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { acceptedFor, last: last as Answer, after: performance.now() - started };
  }

  it('its listening session ended by the server: A listens again at once and refuses the token within a second', async () => {
    const { token, revoke } = await revokedAtB('terminated');
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid) as ended from pg_stat_activity
        where application_name = 'instance-a' and query ilike $1`,
      [`%${CHANNEL}%`],
    );
    expect(rows).toEqual([{ ended: true }]);
    await revoke();
    const seen = await watchA(token, 3000, (answer) => answer.status === 401);
    expect(seen.last.status).toBe(401);
    expect(seen.last.body).toMatchObject({ code: 'token_revoked' });
    expect(seen.after).toBeLessThan(1000);
  });

  it('its listening connection silent (a NAT dropped it): A notices, reloads, and refuses the token', async () => {
    const { token, revoke } = await revokedAtB('silent-feed');
    relay.freeze(new RegExp(`LISTEN ${CHANNEL}`));
    await revoke();
    const seen = await watchA(token, STALE_AFTER_MS + 3000, (answer) => answer.status === 401);
    expect(seen.last.body).toMatchObject({ code: 'token_revoked' });
    // Its pool still reaches the database: it reloads rather than refusing everyone.
    expect(seen.acceptedFor).toBeLessThan(STALE_AFTER_MS);
  }, 20_000);

  it('cut off from the database without a word: A answers 503 within the window, never the revoked token', async () => {
    const { token, revoke } = await revokedAtB('partitioned');
    relay.freeze();
    await revoke();
    const revoked = performance.now();
    const seen = await watchA(token, STALE_AFTER_MS + 3000, (answer) => answer.status === 503);
    expect(seen.last.status).toBe(503);
    expect(seen.last.headers.get('retry-after')).toBe('5');
    expect(seen.last.body).toMatchObject({ code: 'unavailable' });
    expect(seen.acceptedFor).toBeLessThan(STALE_AFTER_MS);
    expect(a.instance.context.revocations.listening()).toBe(false);

    // The path back: A hears or reloads the revocation, and is ready again; it never accepts
    // the token later than the window after the revocation (a reload answered only now may be
    // as old as the moment of the cut, no older).
    relay.thaw();
    const back = await watchA(token, 10_000, (answer) => answer.status === 401, revoked);
    expect(back.last.body).toMatchObject({ code: 'token_revoked' });
    expect(back.acceptedFor).toBeLessThan(STALE_AFTER_MS);
    expect(await statusOnceBack(() => send(a, 'GET', '/readyz'))).toBe(200);
  }, 40_000);
});
