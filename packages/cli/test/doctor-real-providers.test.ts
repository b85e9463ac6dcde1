import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningApi, startApi } from '@todo-sso/api';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

/**
 * `todo doctor` against the discovery documents and key sets that real Keycloak and Authentik
 * servers publish (test/fixtures/providers, with their sources in its README), served from
 * 127.0.0.1. The doctor reaches them as the API reaches a provider from inside Docker:
 * OIDC_ISSUER is the public issuer the document names, OIDC_DISCOVERY_URL the local address, and
 * the endpoints the document advertises are rewritten to it. A correct setup must raise nothing;
 * each real misconfiguration must be named, with its fix.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures/providers');
const KEYCLOAK = 'https://keycloak.cfappsecurity.com/realms/master';
const AUTHENTIK = 'https://auth.geber.io/application/o/surreal/';
const KEYCLOAK_DISCOVERY = '/realms/master/.well-known/openid-configuration';
const KEYCLOAK_CERTS = '/realms/master/protocol/openid-connect/certs';
const AUTHENTIK_DISCOVERY = '/application/o/surreal/.well-known/openid-configuration';
const AUTHENTIK_JWKS = '/application/o/surreal/jwks/';
/** What Keycloak 26.4 adds to its discovery document with DPoP on (its proof algorithms). */
const KEYCLOAK_DPOP_ALGORITHMS = [
  'PS384',
  'RS384',
  'EdDSA',
  'ES384',
  'ES256',
  'RS256',
  'ES512',
  'PS256',
  'PS512',
  'RS512',
];

let dir: string;
let server: Server;
let local: string;
/** What the server answers, by path; a test replaces entries, `beforeEach` restores them. */
const routes = new Map<string, unknown>();
let authentikJwks: unknown;
/** The private half of the key the test publishes (for Authentik, and in Keycloak's key set). */
let signingKey: KeyObject;
let keycloakJwks: unknown;
/** An Authentik client id, as Authentik generates them (40 characters). */
const AUTHENTIK_CLIENT = '5X2x9Y6gMxIotHL83asit8HjVZcRg31y4YVWEGzB';

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-providers-'));
  // An RSA signing key in the form Authentik's JWKS view publishes a provider's certificate.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  signingKey = privateKey;
  const jwk = publicKey.export({ format: 'jwk' });
  authentikJwks = { keys: [{ ...jwk, kid: 'authentik', alg: 'RS256', use: 'sig' }] };
  // Keycloak's key set with the test's key in place of the realm's signing key (whose private
  // half is not published), its encryption key kept.
  const { keys } = (await fixture('keycloak.certs.json')) as { keys: { use: string }[] };
  keycloakJwks = {
    keys: [{ use: 'sig', kty: 'RSA', kid: 'keycloak', alg: 'RS256', n: jwk.n, e: jwk.e }, keys[1]],
  };
  server = createServer((req, res) => {
    const body = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { detail: 'Not found.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(async () => {
  routes.clear();
  routes.set(KEYCLOAK_DISCOVERY, await fixture('keycloak.openid-configuration.json'));
  routes.set(KEYCLOAK_CERTS, await fixture('keycloak.certs.json'));
  routes.set(AUTHENTIK_DISCOVERY, await fixture('authentik.openid-configuration.json'));
  routes.set(AUTHENTIK_JWKS, authentikJwks);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function doctor(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; diagnosis: Diagnosis }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', '--json', ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: {
      TODO_CONFIG_DIR: join(dir, 'config'),
      OIDC_DISCOVERY_URL: local,
      // These are about the provider: the API's embedded database is meant here (without it an
      // issuer elsewhere is database_embedded, doctor-embedded-database.test.ts).
      ALLOW_SQLITE: 'true',
      DATA_DIR: join(dir, 'data'),
      // Neither document lists a level admin work could ask for (Keycloak's realm has no ACR to
      // LoA mapping, Authentik has no levels): their setups ask for freshness only. The cases
      // that keep the default level are under "the admin level" below.
      STEP_UP_ACR: '',
      ...env,
    },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  expect(err.join('\n')).toBe('');
  return { code, diagnosis: JSON.parse(out.join('\n')) as Diagnosis };
}

const keycloak = (env: Record<string, string> = {}) => doctor({ OIDC_ISSUER: KEYCLOAK, ...env });
const authentik = (env: Record<string, string> = {}) =>
  doctor({ OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'authentik', ...env });
const introspecting = {
  OIDC_VERIFY: 'introspect',
  OIDC_CLIENT_ID: 'todo-api',
  OIDC_CLIENT_SECRET: 's',
};

describe('todo doctor on real providers’ documents: correct setups raise nothing', () => {
  it('Keycloak: mtls_endpoint_aliases, thirteen algorithms and an encryption key in the JWKS', async () => {
    const { code, diagnosis } = await keycloak();
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
    const [issuer] = diagnosis.issuers;
    expect(issuer).toMatchObject({ advertisedIssuer: KEYCLOAK, ready: true });
    expect(issuer?.jwksUri).toBe(`${local}${KEYCLOAK_CERTS}`);
    // The RSA-OAEP encryption key is not a signing key: only the RS256 one is listed.
    expect(issuer?.keys).toEqual([
      {
        kid: 'JWxVLtipR-Q6wF2zmQKEoxbFhqwibK2aKNLyRqNxdj4',
        alg: 'RS256',
        kty: 'RSA',
        usable: true,
      },
    ]);
  });

  it('Authentik: the issuer with its trailing slash, endpoints outside the issuer path', async () => {
    const { code, diagnosis } = await authentik();
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
    expect(diagnosis.issuers[0]).toMatchObject({ advertisedIssuer: AUTHENTIK, ready: true });
  });

  it.each([
    ['Keycloak', keycloak],
    ['Authentik', authentik],
  ])('%s with introspection (OIDC_VERIFY=introspect)', async (_name, run) => {
    const { code, diagnosis } = await run(introspecting);
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('Keycloak 26.4 with DPoP on and OIDC_DPOP=required', async () => {
    routes.set(KEYCLOAK_DISCOVERY, {
      ...(await fixture('keycloak.openid-configuration.json')),
      dpop_signing_alg_values_supported: KEYCLOAK_DPOP_ALGORITHMS,
    });
    const { code, diagnosis } = await keycloak({ OIDC_DPOP: 'required' });
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
    expect(diagnosis.issuers[0]?.ready).toBe(true);
  });
});

describe('todo doctor on real providers’ documents: misconfigurations', () => {
  it('the default admin level (mfa) with a Keycloak realm that maps no level names', async () => {
    const { code, diagnosis } = await keycloak({ STEP_UP_ACR: 'mfa' });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      {
        code: 'step_up_level_unsupported',
        check: 'discovery',
        issuer: KEYCLOAK,
        expected: 'acr_values_supported with mfa',
        received: '0, 1',
      },
    ]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/ACR to LoA mapping: add mfa/);
  });

  it('the default admin level (mfa) with Authentik, whose one acr is never a level', async () => {
    const { code, diagnosis } = await authentik({ STEP_UP_ACR: 'mfa' });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      {
        code: 'step_up_level_unsupported',
        received: 'goauthentik.io/providers/oauth2/default',
      },
    ]);
    expect(diagnosis.findings[0]?.fix.authentik).toMatch(/set STEP_UP_ACR= \(empty\)/);
  });

  it('a Keycloak issuer written with a trailing slash', async () => {
    const { code, diagnosis } = await doctor({ OIDC_ISSUER: `${KEYCLOAK}/` });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'issuer_trailing_slash', expected: `${KEYCLOAK}/`, received: KEYCLOAK },
    ]);
    expect(diagnosis.findings[0]?.fix.config).toBe(
      `Set OIDC_ISSUER=${KEYCLOAK} (exactly, with or without the slash as the provider writes it).`,
    );
  });

  it('an Authentik issuer written without its trailing slash', async () => {
    const { code, diagnosis } = await authentik({ OIDC_ISSUER: AUTHENTIK.slice(0, -1) });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'issuer_trailing_slash', received: AUTHENTIK },
    ]);
    expect(diagnosis.findings[0]?.fix.authentik).toMatch(/always end in a slash/);
  });

  it('OIDC_DPOP=required with a Keycloak whose discovery lists no DPoP algorithms', async () => {
    const { code, diagnosis } = await keycloak({ OIDC_DPOP: 'required' });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'dpop_unsupported', check: 'discovery', received: '(not advertised)' },
    ]);
    expect(diagnosis.findings[0]?.summary).toMatch(/refuses every token of this issuer/);
    expect(diagnosis.findings[0]?.fix.config).toMatch(/^Set OIDC_DPOP=allowed/);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/Require DPoP bound tokens/);
  });

  it('OIDC_DPOP=required with Authentik, which issues no DPoP-bound tokens', async () => {
    const { code, diagnosis } = await authentik({ OIDC_DPOP: 'required' });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([{ code: 'dpop_unsupported' }]);
    expect(diagnosis.findings[0]?.fix.authentik).toMatch(/keep OIDC_DPOP=allowed/);
  });

  it('OIDC_DPOP=required with a provider whose proof algorithms the API does not check', async () => {
    routes.set(KEYCLOAK_DISCOVERY, {
      ...(await fixture('keycloak.openid-configuration.json')),
      dpop_signing_alg_values_supported: ['HS256'],
    });
    const { diagnosis } = await keycloak({ OIDC_DPOP: 'required' });
    expect(diagnosis.findings).toMatchObject([{ code: 'dpop_unsupported', received: 'HS256' }]);
  });

  it('an Authentik provider without a signing key (its JWKS is {})', async () => {
    routes.set(AUTHENTIK_JWKS, await fixture('authentik-no-signing-key.jwks.json'));
    const { code, diagnosis } = await authentik();
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      {
        code: 'signing_key_missing',
        check: 'keys',
        received: 'a JWKS without a "keys" member',
        apiCode: 'idp_unavailable',
      },
    ]);
    expect(diagnosis.findings[0]?.summary).toBe(
      `The provider's key set at ${local}${AUTHENTIK_JWKS} holds no key to verify signatures with: every access token will be refused.`,
    );
    expect(diagnosis.findings[0]?.fix.authentik).toMatch(
      /^Provider → Signing Key: choose a certificate/,
    );
    // Not an address problem: nothing suggests OIDC_DISCOVERY_URL.
    expect(diagnosis.findings[0]?.fix.config).toBeUndefined();
    expect(diagnosis.issuers[0]?.ready).toBe(false);
  });

  it('a Keycloak realm whose only published key encrypts (use: enc)', async () => {
    const { keys } = (await fixture('keycloak.certs.json')) as { keys: { use: string }[] };
    routes.set(KEYCLOAK_CERTS, { keys: keys.filter((k) => k.use === 'enc') });
    const { code, diagnosis } = await keycloak();
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'signing_key_missing', received: '1 key, none for signatures (e.g. "use": "enc")' },
    ]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/never publishes HMAC/);
  });

  it('an empty key set with introspection: the logout tokens are what cannot be verified', async () => {
    routes.set(KEYCLOAK_CERTS, { keys: [] });
    const { diagnosis } = await keycloak(introspecting);
    expect(diagnosis.findings).toMatchObject([
      { code: 'signing_key_missing', received: 'an empty "keys" array' },
    ]);
    expect(diagnosis.findings[0]?.summary).toMatch(/back-channel logout tokens cannot be verified/);
    expect(diagnosis.findings[0]?.apiCode).toBeUndefined();
  });

  it('OIDC_VERIFY=introspect with a document that advertises no introspection endpoint', async () => {
    const { introspection_endpoint: _, ...document } = await fixture(
      'keycloak.openid-configuration.json',
    );
    routes.set(KEYCLOAK_DISCOVERY, document);
    const { code, diagnosis } = await keycloak(introspecting);
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'introspection_unsupported', apiCode: 'idp_unavailable' },
    ]);
    expect(diagnosis.findings[0]?.fix.config).toMatch(/^Set OIDC_VERIFY=jwt/);
    expect(diagnosis.issuers[0]?.ready).toBe(false);
    // The same document is fine for local verification.
    expect((await keycloak()).diagnosis.findings).toEqual([]);
  });

  it('a Keycloak realm named with another case is a discovery 404 pointing at OIDC_ISSUER', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: KEYCLOAK.replace(/master$/, 'Master'),
    });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([{ code: 'discovery_unreachable' }]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/case-sensitive/);
  });
});

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RS256 JWT signed with the test's key. */
function jwt(kid: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url({ iat: now, exp: now + 300, jti: randomUUID(), ...claims })}`;
  return `${input}.${sign('sha256', Buffer.from(input), signingKey).toString('base64url')}`;
}

/** An access token as Keycloak issues one by default: audience "account", roles per client. */
const keycloakToken = (aud: string | string[], extra: Record<string, unknown> = {}) =>
  jwt('keycloak', {
    iss: KEYCLOAK,
    aud,
    sub: randomUUID(),
    typ: 'Bearer',
    azp: 'todo-ui',
    sid: randomUUID(),
    acr: '1',
    realm_access: { roles: ['default-roles-master', 'offline_access', 'uma_authorization'] },
    resource_access: {
      account: { roles: ['manage-account', 'view-profile'] },
      'todo-api': { roles: ['todos:read', 'todos:write'] },
    },
    scope: 'openid profile email',
    preferred_username: 'alice',
    ...extra,
  });

/** An access token as Authentik issues one: `aud` and `azp` the client id, groups flat. */
const authentikToken = () =>
  jwt('authentik', {
    iss: AUTHENTIK,
    aud: AUTHENTIK_CLIENT,
    azp: AUTHENTIK_CLIENT,
    sub: 'c3b1b7f0a0e6b1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7',
    auth_time: Math.floor(Date.now() / 1000),
    acr: 'goauthentik.io/providers/oauth2/default',
    preferred_username: 'alice',
    groups: ['todos:read', 'todos:write'],
  });

describe('todo doctor on real providers’ documents: tokens', () => {
  beforeEach(() => {
    routes.set(KEYCLOAK_CERTS, keycloakJwks);
  });

  async function withToken(env: Record<string, string>, token: string) {
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    return doctor(env, '--token-file', join(dir, 'token'));
  }

  it('a Keycloak token whose client has no audience mapper (aud "account")', async () => {
    const { code, diagnosis } = await withToken(
      { OIDC_ISSUER: KEYCLOAK },
      keycloakToken('account'),
    );
    expect(code).toBe(1);
    expect(diagnosis.token).toMatchObject({ accepted: false, refusal: 'audience_mismatch' });
    expect(diagnosis.findings).toMatchObject([
      { code: 'audience_mapper_missing', expected: 'todo-api', received: 'account' },
    ]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/Add mapper → By configuration → Audience/);
    expect(diagnosis.findings[0]?.fix.config).toMatch(/Do not add "account"/);
  });

  it('a Keycloak token with the audience mapper is accepted with its permissions', async () => {
    const { code, diagnosis } = await withToken(
      { OIDC_ISSUER: KEYCLOAK },
      keycloakToken(['todo-api', 'account']),
    );
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
    expect(diagnosis.token).toMatchObject({ accepted: true, username: 'alice' });
  });

  it('a Keycloak token that names no client (no azp) is accepted, and named for the routes that refuse it', async () => {
    const { code, diagnosis } = await withToken(
      { OIDC_ISSUER: KEYCLOAK },
      keycloakToken(['todo-api', 'account'], { azp: undefined }),
    );
    expect(code).toBe(1);
    expect(diagnosis.token).toMatchObject({ accepted: true, username: 'alice' });
    expect(diagnosis.findings).toMatchObject([
      { code: 'client_id_missing', check: 'token', apiCode: 'forbidden', issuer: KEYCLOAK },
    ]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(
      /Hardcoded claim: Token Claim Name = client_id/,
    );
  });

  it('an Authentik token whose client id is not in OIDC_AUDIENCE', async () => {
    const { code, diagnosis } = await withToken(
      { OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'authentik' },
      authentikToken(),
    );
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([
      { code: 'audience_mismatch', received: AUTHENTIK_CLIENT },
    ]);
    expect(diagnosis.findings[0]?.fix.authentik).toMatch(/client id/);
  });

  describe('with DPoP required, on a Keycloak 26.4 that supports it', () => {
    beforeEach(async () => {
      routes.set(KEYCLOAK_DISCOVERY, {
        ...(await fixture('keycloak.openid-configuration.json')),
        dpop_signing_alg_values_supported: KEYCLOAK_DPOP_ALGORITHMS,
      });
    });
    const env = { OIDC_ISSUER: KEYCLOAK, OIDC_DPOP: 'required' };

    it('a token the client got without a proof (not bound) is named', async () => {
      const { code, diagnosis } = await withToken(env, keycloakToken(['todo-api', 'account']));
      expect(code).toBe(1);
      expect(diagnosis.findings).toMatchObject([
        { code: 'dpop_token_unbound', check: 'token', received: '(no cnf.jkt)' },
      ]);
      expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/Require DPoP bound tokens/);
    });

    it('a DPoP-bound token (cnf.jkt, typ DPoP) raises nothing', async () => {
      const bound = keycloakToken(['todo-api', 'account'], {
        typ: 'DPoP',
        cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' },
      });
      const { code, diagnosis } = await withToken(env, bound);
      expect(diagnosis.findings).toEqual([]);
      expect(code).toBe(0);
    });
  });

  it('an Authentik token with its client id in OIDC_AUDIENCE is accepted', async () => {
    const { code, diagnosis } = await withToken(
      { OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'authentik', OIDC_AUDIENCE: AUTHENTIK_CLIENT },
      authentikToken(),
    );
    expect(diagnosis.findings).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('the API against the same documents', () => {
  let api: RunningApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function start(env: Record<string, string>): Promise<string> {
    api = await startApi(
      loadConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: await mkdtemp(join(dir, 'api-')),
        LOG_LEVEL: 'silent',
        OIDC_DISCOVERY_URL: local,
        ...env,
      }),
    );
    return api.url;
  }

  it('Keycloak: ready, and a token with the audience mapper passes while "account" alone does not', async () => {
    routes.set(KEYCLOAK_CERTS, keycloakJwks);
    const url = await start({ OIDC_ISSUER: KEYCLOAK });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const me = (token: string) =>
      fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me(keycloakToken(['todo-api', 'account']))).status).toBe(200);
    expect((await me(keycloakToken('account'))).status).toBe(401);
  });

  it('Keycloak: a token that names no client serves the person but not /me/agents, as the doctor says', async () => {
    routes.set(KEYCLOAK_CERTS, keycloakJwks);
    const url = await start({ OIDC_ISSUER: KEYCLOAK });
    const token = keycloakToken(['todo-api', 'account'], { azp: undefined });
    const get = (path: string) =>
      fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get('/todos/')).status).toBe(200);
    const agents = await get('/me/agents');
    expect(agents.status).toBe(403);
    expect(((await agents.json()) as { detail: string }).detail).toMatch(/names no client/);
  });

  it('Keycloak 26.4 with OIDC_DPOP=required refuses the unbound token the doctor names', async () => {
    routes.set(KEYCLOAK_CERTS, keycloakJwks);
    routes.set(KEYCLOAK_DISCOVERY, {
      ...(await fixture('keycloak.openid-configuration.json')),
      dpop_signing_alg_values_supported: KEYCLOAK_DPOP_ALGORITHMS,
    });
    const url = await start({ OIDC_ISSUER: KEYCLOAK, OIDC_DPOP: 'required' });
    const answer = await fetch(`${url}/me`, {
      headers: { authorization: `Bearer ${keycloakToken(['todo-api', 'account'])}` },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^DPoP /);
  });

  it('Authentik: ready, and a token for the client id in OIDC_AUDIENCE passes', async () => {
    const url = await start({
      OIDC_ISSUER: AUTHENTIK,
      OIDC_PROVIDER: 'authentik',
      OIDC_AUDIENCE: AUTHENTIK_CLIENT,
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const answer = await fetch(`${url}/me`, {
      headers: { authorization: `Bearer ${authentikToken()}` },
    });
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a Keycloak issuer with a trailing slash', { OIDC_ISSUER: `${KEYCLOAK}/` }],
    [
      'an Authentik issuer without its trailing slash',
      { OIDC_ISSUER: AUTHENTIK.slice(0, -1), OIDC_PROVIDER: 'authentik' },
    ],
  ])('%s is not ready, as the doctor says', async (_name, env) => {
    const url = await start(env);
    const answer = await fetch(`${url}/readyz`);
    expect(answer.status).toBe(503);
  });

  it('an Authentik provider without a signing key is not ready, as the doctor says', async () => {
    routes.set(AUTHENTIK_JWKS, await fixture('authentik-no-signing-key.jwks.json'));
    const url = await start({ OIDC_ISSUER: AUTHENTIK, OIDC_PROVIDER: 'authentik' });
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
  });
});
