import { createHash, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REALM_FILE, type RunningIdp, startIdp } from '@todo-sso/idp';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { postgresAvailable, postgresDatabase, type TestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig } from './support/harness.js';

/**
 * DPoP (RFC 9449) end to end: the dev IdP (Keycloak profile) binds tokens to a real ES256 key at
 * its token endpoint over HTTP, and API instances listening on real sockets, sharing one
 * PostgreSQL database, check every proof (§4.3, §7). Each refusal is asserted with its code and
 * its challenge.
 */
const ALGS = 'algs="ES256 ES384 ES512 PS256 RS256 EdDSA Ed25519"';
const skip = !postgresAvailable;

interface Holder {
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
  jkt: string;
}

async function holder(): Promise<Holder> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (await exportJWK(pair.publicKey)) as Record<string, unknown>;
  const privateJwk = (await exportJWK(pair.privateKey)) as Record<string, unknown>;
  return { privateKey: pair.privateKey, jwk, privateJwk, jkt: await calculateJwkThumbprint(jwk) };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface ProofShape {
  htm?: string;
  htu: string;
  token?: string;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

function proof(who: Holder, shape: ProofShape): Promise<string> {
  const payload = {
    jti: randomUUID(),
    htm: shape.htm ?? 'GET',
    htu: shape.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(shape.token ? { ath: ath(shape.token) } : {}),
    ...shape.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: who.jwk, ...shape.header } as never)
    .sign(who.privateKey);
}

interface Answer {
  status: number;
  challenge: string;
  body: Record<string, unknown>;
}

/** A request over a real socket; `dpop` may repeat the header (node:http sends each line). */
function call(
  url: string,
  authorization: string,
  dpop?: string | string[],
  extra: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { authorization, ...extra };
    if (dpop !== undefined) headers.dpop = dpop;
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          challenge: String(res.headers['www-authenticate'] ?? ''),
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(skip)('DPoP from the dev IdP to API instances over HTTP', () => {
  let idp: RunningIdp;
  let idpData: string;
  let tokenEndpoint: string;
  let database: TestDatabase;
  const instances: Instance[] = [];
  const base: Record<'a' | 'b' | 'required' | 'introspect', string> = {
    a: '',
    b: '',
    required: '',
    introspect: '',
  };
  let key: Holder;
  let bound: string;
  let bearer: string;

  async function listening(env: Record<string, string> = {}): Promise<string> {
    const instance = await startInstance(testConfig(idp, database.config, env));
    instances.push(instance);
    return instance.app.listen({ host: '127.0.0.1', port: 0 });
  }

  async function token(dpop?: string): Promise<Record<string, string>> {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(dpop ? { dpop } : {}),
      },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, string>;
  }

  beforeAll(async () => {
    idpData = mkdtempSync(join(tmpdir(), 'idp-dpop-'));
    const realm = JSON.parse(readFileSync(DEFAULT_REALM_FILE, 'utf8'));
    idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir: seedKeys(idpData), realm });
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    tokenEndpoint = discovery.token_endpoint as string;
    database = await postgresDatabase();
    base.a = await listening({ TRUST_PROXY: '1' });
    base.b = await listening({ TRUST_PROXY: '1' });
    base.required = await listening({ OIDC_DPOP: 'required' });
    base.introspect = await listening({
      OIDC_VERIFY: 'introspect',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    });
    key = await holder();
    const issued = await token(await proof(key, { htm: 'POST', htu: tokenEndpoint }));
    expect(issued.token_type).toBe('DPoP');
    bound = issued.access_token as string;
    const plain = await token();
    expect(plain.token_type).toBe('Bearer');
    bearer = plain.access_token as string;
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await database?.drop();
    await idp?.close();
    if (idpData) rmSync(idpData, { recursive: true, force: true });
  });

  const me = (at: keyof typeof base) => `${base[at]}/me`;
  const refusedProof = (answer: Answer) => {
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'dpop_proof_invalid' });
    expect(answer.challenge).toMatch(
      // RFC 9728 §5.1: the challenge may end with the protected resource metadata's URL.
      new RegExp(
        `^DPoP realm="todo-api", error="invalid_dpop_proof", .*${ALGS}(, resource_metadata="[^"]+")?$`,
      ),
    );
  };
  /** A token refused for its binding: `invalid_token` in the challenge of the scheme used (§7.1). */
  const refusedToken = (answer: Answer, scheme: 'Bearer' | 'DPoP') => {
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'token_binding_mismatch' });
    if (scheme === 'Bearer') {
      expect(answer.challenge).toMatch(/^Bearer realm="todo-api", error="invalid_token"/);
      expect(answer.challenge).toContain(`DPoP realm="todo-api", ${ALGS}`);
    } else {
      expect(answer.challenge).toMatch(
        new RegExp(
          `^DPoP realm="todo-api", error="invalid_token", .*${ALGS}, Bearer realm="todo-api"`,
        ),
      );
    }
  };

  it('accepts the bound token with a valid proof (200), and the query is not part of htu', async () => {
    const ok = await call(
      me('a'),
      `DPoP ${bound}`,
      await proof(key, { htu: me('a'), token: bound }),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ username: 'alice' });
    const query = await call(
      `${base.a}/todos/?completed=false`,
      `DPoP ${bound}`,
      await proof(key, { htu: `${base.a}/todos/`, token: bound }),
    );
    expect(query.status).toBe(200);
  });

  it('refuses a replayed proof at the same instance and at a second one on the same PostgreSQL', async () => {
    const p = await proof(key, { htu: me('a'), token: bound });
    expect((await call(me('a'), `DPoP ${bound}`, p)).status).toBe(200);
    refusedProof(await call(me('a'), `DPoP ${bound}`, p));
    // Behind one proxy (trusted: TRUST_PROXY=1) both instances answer https://todo.example.com,
    // so one proof fits both; the jti table they share refuses it at B once A has taken it.
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'todo.example.com' };
    const publicMe = 'https://todo.example.com/me';
    const shared = await proof(key, { htu: publicMe, token: bound });
    expect((await call(me('a'), `DPoP ${bound}`, shared, proxied)).status).toBe(200);
    refusedProof(await call(me('b'), `DPoP ${bound}`, shared, proxied));
    const fresh = await proof(key, { htu: publicMe, token: bound });
    expect((await call(me('b'), `DPoP ${bound}`, fresh, proxied)).status).toBe(200);
    refusedProof(await call(me('a'), `DPoP ${bound}`, fresh, proxied));
  });

  it('refuses a wrong htm, another path, another host and a stale or future iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: ProofShape[] = [
      { htm: 'POST', htu: me('a'), token: bound },
      { htu: `${base.a}/todos/`, token: bound },
      { htu: me('a').replace('127.0.0.1', 'api.example.com'), token: bound },
      { htu: me('a'), token: bound, claims: { iat: now - 600 } },
      { htu: me('a'), token: bound, claims: { iat: now + 600 } },
    ];
    for (const shape of cases) {
      refusedProof(await call(me('a'), `DPoP ${bound}`, await proof(key, shape)));
    }
  });

  it('refuses a missing ath and the ath of another token', async () => {
    refusedProof(await call(me('a'), `DPoP ${bound}`, await proof(key, { htu: me('a') })));
    const other = await proof(key, { htu: me('a'), token: bearer });
    refusedProof(await call(me('a'), `DPoP ${bound}`, other));
  });

  it('refuses a proof by a key other than cnf.jkt with invalid_token', async () => {
    const mallory = await holder();
    refusedToken(
      await call(me('a'), `DPoP ${bound}`, await proof(mallory, { htu: me('a'), token: bound })),
      'DPoP',
    );
  });

  it('refuses a jwk with private members, alg none, HS256 and two DPoP headers', async () => {
    const withPrivate = await proof(key, {
      htu: me('a'),
      token: bound,
      header: { jwk: key.privateJwk },
    });
    refusedProof(await call(me('a'), `DPoP ${bound}`, withPrivate));
    const claims = { jti: randomUUID(), htm: 'GET', htu: me('a'), iat: Date.now() / 1000 };
    const none = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${b64({ ...claims, ath: ath(bound) })}.`;
    refusedProof(await call(me('a'), `DPoP ${bound}`, none));
    const hs256 = await new SignJWT({ ...claims, jti: randomUUID(), ath: ath(bound) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk } as never)
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    refusedProof(await call(me('a'), `DPoP ${bound}`, hs256));
    const two = [
      await proof(key, { htu: me('a'), token: bound }),
      await proof(key, { htu: me('a'), token: bound }),
    ];
    refusedProof(await call(me('a'), `DPoP ${bound}`, two));
  });

  it('refuses the DPoP-bound token sent as Bearer (RFC 9449 §7.2)', async () => {
    refusedToken(await call(me('a'), `Bearer ${bound}`), 'Bearer');
  });

  it('refuses a bearer-only token with the DPoP scheme where the issuer requires DPoP', async () => {
    const unbound = await call(
      me('required'),
      `DPoP ${bearer}`,
      await proof(key, { htu: me('required'), token: bearer }),
    );
    expect(unbound.status).toBe(401);
    expect(unbound.body).toMatchObject({ code: 'token_binding_mismatch' });
    // RFC 9449 §7.1: where every issuer requires DPoP, the DPoP scheme alone is offered.
    expect(unbound.challenge).toMatch(
      new RegExp(`^DPoP realm="todo-api", error="invalid_token", [^,]+, [^,]+, ${ALGS}$`),
    );
    const asBearer = await call(me('required'), `Bearer ${bearer}`);
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toMatch(/^DPoP realm="todo-api"/);
    expect(asBearer.challenge).not.toContain('Bearer');
    const ok = await call(
      me('required'),
      `DPoP ${bound}`,
      await proof(key, { htu: me('required'), token: bound }),
    );
    expect(ok.status).toBe(200);
  });

  it('in introspection mode takes cnf.jkt from the introspection answer', async () => {
    const url = me('introspect');
    const ok = await call(url, `DPoP ${bound}`, await proof(key, { htu: url, token: bound }));
    expect(ok.status).toBe(200);
    refusedToken(await call(url, `Bearer ${bound}`), 'Bearer');
    const mallory = await holder();
    refusedToken(
      await call(url, `DPoP ${bound}`, await proof(mallory, { htu: url, token: bound })),
      'DPoP',
    );
  });
});
