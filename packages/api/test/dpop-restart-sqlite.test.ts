import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type DpopKey, dpopKey } from './support/dpop.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * On SQLite the API remembers used DPoP proofs in memory (RFC 9449 §11.1), so a restart forgets
 * them. A proof that could have been used before the restart is accepted after it only with a
 * server nonce (§8) issued since: the API restarted on the same SQLite file, listening on the
 * same port, answers the replay 401 `use_dpop_nonce` with a `DPoP-Nonce`, never 200.
 */
describe.each([
  ['without DPOP_NONCE_SECRET', {}],
  ['with DPOP_NONCE_SECRET', { DPOP_NONCE_SECRET: 'a-secret-of-at-least-32-bytes-0123456789' }],
])('a DPoP proof replayed after a restart on SQLite, %s', (_name, env: Record<string, string>) => {
  let idp: TestIssuer;
  let database: TestDatabase;
  let instance: Instance | undefined;
  let port: number;
  let key: DpopKey;
  let token: string;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
    database = sqliteDatabase();
    key = await dpopKey();
    token = await idp.accessToken(alice, { claims: { cnf: { jkt: key.jkt } } });
  });
  afterAll(async () => {
    await instance?.close();
    await idp?.close();
    await database?.drop();
  });

  /** Starts the API on the suite's SQLite file, on the port it had before (the proofs' `htu`). */
  async function start(): Promise<void> {
    await instance?.close();
    instance = await startInstance(testConfig(idp, database.config, env));
    const url = await instance.app.listen({ host: '127.0.0.1', port: port ?? 0 });
    port = Number(new URL(url).port);
  }
  const meUrl = () => `http://127.0.0.1:${port}/me`;
  const proof = (nonce?: string) => key.proof({ htu: meUrl(), token, ...(nonce && { nonce }) });
  const me = (dpop: string) =>
    fetch(meUrl(), { headers: { authorization: `DPoP ${token}`, dpop } });

  /** A first answer that asks for a nonce (§9): the nonce it gives. */
  async function nonceAsked(answer: Response): Promise<string> {
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    expect(await answer.json()).toMatchObject({ code: 'dpop_nonce_required' });
    const nonce = answer.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    return nonce as string;
  }

  it('refuses the replay with use_dpop_nonce, and accepts a fresh proof with the nonce', async () => {
    await start();
    // A new database: no process served it before, so a nonce is asked only when configured.
    let used = await proof();
    if (env.DPOP_NONCE_SECRET) used = await proof(await nonceAsked(await me(used)));
    expect((await me(used)).status).toBe(200);
    expect((await me(used)).status).toBe(401);

    await start();
    const nonce = await nonceAsked(await me(used));
    expect((await me(await proof(nonce))).status).toBe(200);
    // The refused replay took no jti: refused again the same way, not as an ordinary replay.
    await nonceAsked(await me(used));
  });

  it('refuses, after one more restart, a proof carrying a nonce the previous process issued', async () => {
    await start();
    const withNonce = await proof(await nonceAsked(await me(await proof())));
    expect((await me(withNonce)).status).toBe(200);
    await start();
    await nonceAsked(await me(withNonce));
  });
});
