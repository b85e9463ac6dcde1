import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import { type RealmRepresentation, type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SuiteDatabase, sqliteDatabase } from '../reliability/support/databases.js';

/**
 * A client registered without "Backchannel logout session required"
 * (`backchannel.logout.session.required: false`): the dev IdP's sender (oidc-provider) then
 * leaves `sid` out of the logout token, which names the person only (Back-Channel Logout 1.0
 * §2.4), and the API refuses every token of theirs issued until then, whichever session.
 */
const HOST = '127.0.0.1';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('sign-out at the dev IdP for a client that does not ask for the session', () => {
  let database: SuiteDatabase;
  let dataDir: string;
  let idp: RunningIdp;
  let api: RunningApi;
  let url: string;
  const idpLog: string[] = [];

  const passwordGrant = async (username: string) => {
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username,
        password: username,
        scope: 'openid',
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; refresh_token: string };
  };
  const me = async (token: string) => {
    const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };

  beforeAll(async () => {
    database = sqliteDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'todo-sso-logout-sub-'));
    const port = await freePort();
    url = `http://${HOST}:${port}`;
    const realm = JSON.parse(
      readFileSync(join(repoRoot, 'deploy/keycloak/realm-todo-app.json'), 'utf8'),
    ) as RealmRepresentation;
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
      dataDir: join(dataDir, 'idp'),
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

    const logout = await fetch(`${idp.issuer}/protocol/openid-connect/logout`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'todo-cli', refresh_token: laptop.refresh_token }),
    });
    expect(logout.status).toBe(204);
    expect(idpLog).toEqual(['info back-channel logout delivered to todo-cli']);

    // No sid: the person's other session ends here too (the IdP keeps it; the API cannot tell).
    expect(await me(laptop.access_token)).toEqual({ status: 401, code: 'token_revoked' });
    expect(await me(phone.access_token)).toEqual({ status: 401, code: 'token_revoked' });
    expect((await me(bob.access_token)).status).toBe(200);
  }, 30_000);
});
