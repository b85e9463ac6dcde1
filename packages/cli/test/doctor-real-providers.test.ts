import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

async function fixture(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-providers-'));
  // An RSA signing key in the form Authentik's JWKS view publishes a provider's certificate.
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  authentikJwks = {
    keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'authentik', alg: 'RS256', use: 'sig' }],
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
): Promise<{ code: number; diagnosis: Diagnosis }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', '--json'], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: { TODO_CONFIG_DIR: join(dir, 'config'), OIDC_DISCOVERY_URL: local, ...env },
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

  it('a Keycloak realm named with another case is a discovery 404 pointing at OIDC_ISSUER', async () => {
    const { code, diagnosis } = await doctor({
      OIDC_ISSUER: KEYCLOAK.replace(/master$/, 'Master'),
    });
    expect(code).toBe(1);
    expect(diagnosis.findings).toMatchObject([{ code: 'discovery_unreachable' }]);
    expect(diagnosis.findings[0]?.fix.keycloak).toMatch(/case-sensitive/);
  });
});
