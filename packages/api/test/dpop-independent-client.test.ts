import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REALM_FILE, type RunningIdp, startIdp } from '@todo-sso/idp';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { sqliteDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * DPoP proofs made by an independent, widely used client library (panva's `dpop`, WebCrypto),
 * not by this repository's code: the dev IdP binds a token to the library's key over HTTP, and
 * the API, listening on a real socket, checks the library's proofs (RFC 9449 §4.3, §7.1).
 */
describe('DPoP proofs from the dpop client library, over HTTP', () => {
  let idp: RunningIdp;
  let idpData: string;
  let database: TestDatabase;
  let instance: Instance;
  let base: string;
  let keys: KeyPair;
  let token: string;
  let tokenEndpoint: string;

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-dpop-lib-'));
    const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData), realm });
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint as string;
    database = sqliteDatabase();
    instance = await startInstance(testConfig(idp, database.config));
    base = await instance.app.listen({ host: '127.0.0.1', port: 0 });
    keys = await generateKeyPair('ES256');
    token = await boundToken(keys);
  }, 60_000);
  afterAll(async () => {
    await instance?.close();
    await idp?.close();
    await database?.drop();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  /** A DPoP-bound access token for alice from the dev IdP, bound to `holder`'s key. */
  async function boundToken(holder: KeyPair): Promise<string> {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await generateProof(holder, tokenEndpoint, 'POST'),
      },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    expect(res.status).toBe(200);
    const issued = (await res.json()) as Record<string, string>;
    expect(issued.token_type).toBe('DPoP');
    const bound = issued.access_token as string;
    // The token is bound to the library's key: cnf.jkt is its RFC 7638 thumbprint (§6.1).
    const payload = JSON.parse(Buffer.from(bound.split('.')[1] as string, 'base64url').toString());
    expect(payload.cnf).toEqual({ jkt: await calculateThumbprint(holder.publicKey) });
    return bound;
  }

  const me = (proof: string, accessToken = token) =>
    fetch(`${base}/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } });

  it('accepts its Ed25519 proofs, signed with the fully-specified alg "Ed25519" (RFC 9864)', async () => {
    const ed = await generateKeyPair('Ed25519');
    const edToken = await boundToken(ed);
    const proof = await generateProof(ed, `${base}/me`, 'GET', undefined, edToken);
    const header = JSON.parse(Buffer.from(proof.split('.')[0] as string, 'base64url').toString());
    expect(header.alg).toBe('Ed25519');
    expect((await me(proof, edToken)).status).toBe(200);
    const replay = await me(proof, edToken);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ code: 'dpop_proof_invalid' });
  });

  it('accepts its proof (200) and refuses the same proof again (401 invalid_dpop_proof)', async () => {
    const proof = await generateProof(keys, `${base}/me`, 'GET', undefined, token);
    const ok = await me(proof);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ username: 'alice' });
    const replay = await me(proof);
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toMatch(
      /^DPoP realm="todo-api", error="invalid_dpop_proof", error_description="The DPoP proof was already used"/,
    );
    // A fresh proof of the library passes again: the refusal was the replay, not the key.
    expect(
      (await me(await generateProof(keys, `${base}/me`, 'GET', undefined, token))).status,
    ).toBe(200);
  });

  it('refuses its proof for another URI, another method, or without the token hash', async () => {
    for (const proof of [
      await generateProof(keys, `${base}/todos/`, 'GET', undefined, token),
      await generateProof(keys, `${base}/me`, 'POST', undefined, token),
      await generateProof(keys, `${base}/me`, 'GET'),
    ]) {
      const res = await me(proof);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'dpop_proof_invalid' });
    }
  });

  it('refuses a proof by another key of the library (cnf.jkt differs) with invalid_token', async () => {
    const other = await generateKeyPair('ES256');
    const res = await me(await generateProof(other, `${base}/me`, 'GET', undefined, token));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'token_binding_mismatch' });
    // RFC 9449 §7.1 ("Invalid DPoP key binding"): the refusal is in the DPoP challenge.
    expect(res.headers.get('www-authenticate')).toMatch(
      /^DPoP realm="todo-api", error="invalid_token", error_description="The access token is bound to another key", resource_metadata="[^"]+", algs="[^"]+", Bearer realm="todo-api", resource_metadata="[^"]+"$/,
    );
  });
});
