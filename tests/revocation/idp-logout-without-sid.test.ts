import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../packages/idp/test/seed-keys.js';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';
import { devRealm, freePort, HOST, me as meAt, signIn, signOut } from './support.js';

/**
 * A client registered without "Backchannel logout session required"
 * (`backchannel.logout.session.required: false`): the dev IdP's sender (oidc-provider) then
 * leaves `sid` out of the logout token, which names the person only (Back-Channel Logout 1.0
 * §2.4), and the API refuses every token of theirs issued until then, whichever session.
 */
describe('sign-out at the dev IdP for a client that does not ask for the session', () => {
  let database: SuiteDatabase;
  let dataDir: string;
  let idp: RunningIdp;
  let api: RunningApi;
  let url: string;
  const idpLog: string[] = [];

  const passwordGrant = (username: string) => signIn(idp.issuer, username);
  const me = (token: string) => meAt(url, token);

  beforeAll(async () => {
    database = sqliteDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-logout-sub-'));
    const port = await freePort();
    url = `http://${HOST}:${port}`;
    const realm = devRealm();
    for (const client of realm.clients ?? []) {
      if (client.clientId !== 'todo-cli' || !client.attributes) continue;
      client.attributes['backchannel.logout.url'] = `${url}/auth/backchannel-logout`;
      client.attributes['backchannel.logout.session.required'] = 'false';
    }
    const log = (level: string) => (message: string) => idpLog.push(`${level} ${message}`);
    idp = await startIdp({
      host: HOST,
      port: 0,
      realm,
      dataDir: seedKeys(join(dataDir, 'idp')),
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
    });
    api = await startApi(
      loadConfig({
        HOST,
        PORT: String(port),
        OIDC_ISSUER: idp.issuer,
        LOG_LEVEL: 'silent',
        ...database.env,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('ends every session of the person on the API, and nobody else’s', async () => {
    const laptop = await passwordGrant('alice');
    const phone = await passwordGrant('alice');
    const bob = await passwordGrant('bob');
    for (const token of [laptop, phone, bob])
      expect((await me(token.access_token)).status).toBe(200);
    idpLog.length = 0;

    const logout = await signOut(idp.issuer, laptop);
    expect(logout.status).toBe(204);
    expect(idpLog).toEqual(['info back-channel logout delivered to todo-cli']);

    // No sid: the person's other session ends here too (the IdP keeps it; the API cannot tell).
    expect(await me(laptop.access_token)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(await me(phone.access_token)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect((await me(bob.access_token)).status).toBe(200);
  }, 30_000);
});
