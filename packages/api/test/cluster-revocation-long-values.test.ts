import { performance } from 'node:perf_hooks';
import { alice } from '@todo-sso/auth/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL } from '../src/revocation/bus.js';
import { type Node, useCluster } from './support/cluster.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * A revocation whose announcement would not fit in one `NOTIFY` (PostgreSQL refuses a payload of
 * 8000 bytes or more, which would roll back the revocation's transaction): it is still stored,
 * and every instance learns of it at once (announced as a reload of the stored set).
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

  it('a revocation 9000 characters long: stored, and the other instance refuses at once', async () => {
    const [a, b] = nodes as [Node, Node];
    // The logout receiver keeps its values short (a long sid ends the subject's tokens), so
    // the store is called directly, as with an issuer whose URL is that long.
    const issuer = `https://idp.example/${'long/'.repeat(1800)}`;
    const principal = { issuer, subject: alice.sub, issuedAt: Math.floor(Date.now() / 1000) - 5 };
    expect(b.instance.context.revocations.isRevoked(principal)).toBe(false);

    await a.instance.context.revocations.revokeSubject(issuer, alice.sub);
    const { rows } = await listener.query(
      `select count(*)::int as n from revocations where kind = 'subject' and issuer = $1`,
      [issuer],
    );
    expect(rows[0]).toEqual({ n: 1 });
    expect(a.instance.context.revocations.isRevoked(principal)).toBe(true);
    // B hears of it by the commit (its periodic reload is 30 s away).
    const started = performance.now();
    while (
      !b.instance.context.revocations.isRevoked(principal) &&
      performance.now() - started < 1000
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(b.instance.context.revocations.isRevoked(principal)).toBe(true);
    // Every announcement fits in one NOTIFY.
    expect(heard.length).toBeGreaterThan(0);
    for (const payload of heard) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
  });
});
