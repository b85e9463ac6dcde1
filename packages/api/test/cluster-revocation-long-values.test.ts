import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL } from '../src/revocation/bus.js';
import { type Node, send, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * A revocation whose announcement would not fit in one `NOTIFY` (PostgreSQL refuses a payload of
 * 8000 bytes or more): the revocation is still stored and answered 200, and every instance
 * learns of it at once. The session id of a logout token has no length limit (OpenID Connect
 * Back-Channel Logout 1.0 §2.4): a long one must not make the logout fail, or the IdP's retries
 * (§2.8) would all fail alike and the session would never end.
 */
const postgres = drivers.find((d) => d.driver === 'postgres') as (typeof drivers)[number];
const { skip } = postgres;

describe.skipIf(skip)('a revocation too long for one NOTIFY', () => {
  const database = useTestDatabase(postgres);
  const idp = useIssuer(skip, { profile: 'keycloak' });
  const nodes = useCluster(skip, idp, database, 2);
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    listener = new pg.Client({ connectionString: (database.config as { url: string }).url });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === CHANNEL) heard.push(message.payload ?? '');
    });
    await listener.query(`LISTEN ${CHANNEL}`);
  });
  afterAll(async () => {
    await listener?.end();
  });

  const logout = (node: Node, token: string) =>
    fetch(`${node.url}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });

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

  it('a 9000-character session id: 200, stored and audited, and the other instance refuses at once', async () => {
    const [a, b] = nodes as [Node, Node];
    const sid = `long-${'s'.repeat(9000)}`;
    const token = await idp.accessToken(alice, { sessionId: sid });
    for (const node of [a, b]) expect((await send(node, 'GET', '/me', { token })).status).toBe(200);

    const answer = await logout(a, await idp.logoutToken({ sub: alice.sub, sid }));
    expect(answer.status).toBe(200);
    const { rows } = await listener.query(
      `select count(*)::int as n from revocations where kind = 'session' and value = $1`,
      [sid],
    );
    expect(rows[0]).toEqual({ n: 1 });
    const audited = await listener.query(
      `select count(*)::int as n from audit_log where action = 'session.logout' and resource = $1`,
      [`session:${sid}`],
    );
    expect(audited.rows[0]).toEqual({ n: 1 });
    expect(await refusedWithin(a, token, 1000)).toBeLessThan(1000);
    // B hears of it by the commit (its periodic reload is 30 s away).
    expect(await refusedWithin(b, token, 1000)).toBeLessThan(1000);
    // Every announcement fits in one NOTIFY.
    for (const payload of heard) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
  });
});
