import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { alice } from '@todo-sso/auth/testing';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { listeningNode, type Node, send } from './support/cluster.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { useIssuer } from './support/harness.js';

/**
 * The one-time identifiers instances share in the database (used DPoP proofs on PostgreSQL,
 * RFC 9449 §11.1; logout-token `jti`s, Back-Channel Logout 1.0 §2.6 step 8) are pruned by each
 * instance with its own clock. Here instance A's clock runs 25 s ahead of B's (within the 30 s
 * clock tolerance): A's pruning must not delete a record B still needs to refuse a replay.
 */
const AHEAD_MS = 25_000;

describe.each(drivers)(
  'replay records on $driver pruned by an instance whose clock runs ahead',
  ({ driver, skip, create }) => {
    const database = useTestDatabase({ skip, create });
    const idp = useIssuer(skip, { profile: 'keycloak' });
    /** How far both instances' clocks are moved forward (B's; A's is `AHEAD_MS` further). */
    let shiftMs = 0;
    let a: Node;
    let b: Node;
    beforeAll(async () => {
      if (skip) return;
      // Revocations (and so the logout jti's minimum memory) kept a minute: short access tokens.
      const env = { REVOCATION_TTL_SECONDS: '60' };
      a = await listeningNode(idp, database, env, {
        now: () => new Date(Date.now() + shiftMs + AHEAD_MS),
      });
      b = await listeningNode(idp, database, env, { now: () => new Date(Date.now() + shiftMs) });
    });
    afterAll(async () => {
      await Promise.all([a, b].map((node) => node?.instance.close()));
    });

    /** Prunes at A (what its periodic reload does every 30 s). */
    const pruneAtA = () => a.instance.context.revocations.reload();

    async function rows(table: 'dpop_proofs' | 'logout_jtis'): Promise<number> {
      const db = openDatabase(database.config);
      try {
        return await rowCount(db, table);
      } finally {
        await db.close();
      }
    }

    // SQLite keeps used proofs in each process's memory, never pruned by another instance.
    it.skipIf(skip || driver === 'sqlite')(
      'keeps a used DPoP proof that B still accepts, and B refuses its replay',
      async () => {
        const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const jwk = await exportJWK(pair.publicKey);
        const token = await idp.accessToken(alice, {
          claims: { cnf: { jkt: await calculateJwkThumbprint(jwk) } },
        });
        // Signed 70 s ago: B accepts it for 20 s more (60 s max age + 30 s tolerance); by A's clock
        // its record is already 5 s past its expiry.
        const proof = await new SignJWT({
          jti: randomUUID(),
          htm: 'GET',
          htu: `${b.url}/me`,
          iat: Math.floor(Date.now() / 1000) - 70,
          ath: createHash('sha256').update(token).digest('base64url'),
        })
          .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk } as never)
          .sign(pair.privateKey);
        const me = () =>
          send(b, 'GET', '/me', { headers: { authorization: `DPoP ${token}`, dpop: proof } });

        expect((await me()).status).toBe(200);
        expect(await rows('dpop_proofs')).toBe(1);
        await pruneAtA();
        expect(await rows('dpop_proofs')).toBe(1);
        const replay = await me();
        expect(replay.status).toBe(401);
        expect(replay.body).toMatchObject({ code: 'dpop_proof_invalid' });
      },
    );

    it.skipIf(skip)(
      'keeps a logout token’s jti that B still accepts, and B refuses its replay (400)',
      async () => {
        const logout = (token: string) =>
          fetch(`${b.url}/auth/backchannel-logout`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ logout_token: token }).toString(),
          });
        // Valid for 10 minutes: B accepts it until 630 s from now (the 600 s maximum age plus the
        // 30 s tolerance); its jti is kept until 631 s.
        const token = await idp.logoutToken(
          { sub: alice.sub, sid: 'pruned-elsewhere' },
          {
            expiresInSec: 600,
          },
        );
        expect((await logout(token)).status).toBe(200);
        expect(await rows('logout_jtis')).toBe(1);
        // 620 s later by B's clock (still accepted), 645 s by A's: A prunes.
        shiftMs = 620_000;
        try {
          await pruneAtA();
          expect(await rows('logout_jtis')).toBe(1);
          const replay = await logout(token);
          expect(replay.status).toBe(400);
          expect(await replay.json()).toMatchObject({ code: 'logout_token_invalid' });
        } finally {
          shiftMs = 0;
        }
      },
    );
  },
);
