import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, PortInUseError, type RunningApi, startApi } from '@todo-sso/api';
import { type RealmRepresentation, type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../packages/idp/test/seed-keys.js';
import { engines, type SuiteDatabase } from '../reliability/support/databases.js';
import {
  devRealm,
  freePort,
  HOST,
  me,
  signIn,
  signOut as signOutAt,
  type Tokens,
} from './support.js';

/**
 * Issue-level acceptance for back-channel logout, with a sender nobody here wrote: the dev IdP
 * is oidc-provider, whose own code signs and posts the logout token (its `backchannelLogout`).
 * A session is ended at the IdP's logout endpoint (Keycloak's
 * `POST …/protocol/openid-connect/logout` with the refresh token); the IdP delivers the logout
 * token to the first API instance, and the IdP's answer comes once that delivery is answered,
 * so that instance refuses the session's access token right then. On SQLite there is one
 * instance; on PostgreSQL three share the database, and LISTEN/NOTIFY must carry the
 * revocation to the other two within 1 s.
 */

/** The dev realm with every back-channel logout URL pointed at `receiver`. */
function realmSendingLogoutsTo(receiver: string): RealmRepresentation {
  const realm = devRealm();
  for (const client of realm.clients ?? []) {
    if (client.attributes?.['backchannel.logout.url'])
      client.attributes['backchannel.logout.url'] = `${receiver}/auth/backchannel-logout`;
  }
  return realm;
}

/** How many API instances share the database: PostgreSQL carries revocations between them. */
const INSTANCES = { sqlite: 1, postgres: 3 } as const;

describe.each(engines)('sign-out at the dev IdP reaches the API on $engine', (engine) => {
  const instances = INSTANCES[engine.engine];
  let database: SuiteDatabase;
  let dataDir: string;
  let idp: RunningIdp;
  const apis: RunningApi[] = [];
  const urls: string[] = [];
  /** What the IdP said about its deliveries (oidc-provider's backchannel.success/.error). */
  const idpLog: string[] = [];

  const passwordGrant = (username: string) => signIn(idp.issuer, username);
  const signOut = (tokens: Tokens) => signOutAt(idp.issuer, tokens);

  const apiOn = (port: number) =>
    startApi(
      loadConfig({
        HOST,
        PORT: String(port),
        OIDC_ISSUER: idp.issuer,
        LOG_LEVEL: 'silent',
        ...database.env,
      }),
    );

  beforeAll(async () => {
    if (engine.skip) return;
    database = await engine.create();
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-logout-'));
    const log = (level: string) => (message: string) => idpLog.push(`${level} ${message}`);
    // The first instance's URL is in the realm, so its port is picked before the IdP starts; a
    // port picked free can be taken before the API binds it (a client connection's local port
    // comes from the same range): then both start again on another port.
    for (let attempt = 1; apis.length === 0; attempt++) {
      const receiver = `http://${HOST}:${await freePort()}`;
      idp = await startIdp({
        host: HOST,
        port: 0,
        realm: realmSendingLogoutsTo(receiver),
        dataDir: seedKeys(join(dataDir, `idp-${attempt}`)),
        logger: { info: log('info'), warn: log('warn'), error: log('error') },
      });
      try {
        apis.push(await apiOn(Number(new URL(receiver).port)));
      } catch (error) {
        await idp.close();
        if (attempt >= 3 || !(error instanceof PortInUseError)) throw error;
      }
    }
    // The others on any free port, bound by the API itself.
    for (let i = 1; i < instances; i++) apis.push(await apiOn(0));
    urls.push(...apis.map((api) => api.url));
  }, 60_000);

  afterAll(async () => {
    for (const api of apis) await api.close();
    await idp?.close();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(engine.skip)(
    'refuses the ended session’s access token at once where it was delivered, on every instance within 1 s, and only that session',
    async () => {
      const alice = await passwordGrant('alice');
      const bob = await passwordGrant('bob');
      for (const url of urls) expect((await me(url, alice.access_token)).status).toBe(200);
      idpLog.length = 0;

      const started = performance.now();
      const logout = await signOut(alice);
      expect(logout.status).toBe(204);
      // oidc-provider took the receiver's answer as a success (§2.8: 200).
      expect(idpLog).toEqual(['info back-channel logout delivered to todo-cli']);
      // The IdP answers after the delivery was answered: the receiving instance refuses now.
      const atOnce = await me(urls[0] as string, alice.access_token);
      expect(atOnce).toMatchObject({ status: 401, code: 'token_revoked' });
      expect(atOnce.challenge).toContain('error="invalid_token"');

      const refusedAfterMs = await Promise.all(
        urls.map(async (url) => {
          for (;;) {
            const answer = await me(url, alice.access_token);
            const elapsed = performance.now() - started;
            if (answer.status === 401) {
              expect(answer.code).toBe('token_revoked');
              expect(answer.challenge).toContain('error="invalid_token"');
              return elapsed;
            }
            if (elapsed > 5_000) return elapsed;
            await new Promise((r) => setTimeout(r, 5));
          }
        }),
      );
      console.log(
        `back-channel logout → 401 token_revoked on ${instances} ${engine.engine} instance(s) after ${refusedAfterMs
          .map((ms) => `${ms.toFixed(0)} ms`)
          .join(', ')} (limit 1000 ms)`,
      );
      for (const ms of refusedAfterMs) expect(ms).toBeLessThan(1_000);

      // Another person's session is untouched everywhere.
      for (const url of urls) expect((await me(url, bob.access_token)).status).toBe(200);
    },
    30_000,
  );
});
