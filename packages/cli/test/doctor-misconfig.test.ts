import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { type RunningIdp, startIdp } from '@todo-sso/idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedKeys } from '../../idp/test/seed-keys.js';
import { main } from '../src/main.js';
import { CLOSED_PORT, devRealm, passwordGrant } from './support/stack.js';

/**
 * `todo doctor` on setups that are wrong in ways people get them wrong, provoked for real: an
 * issuer behind TLS with a certificate this host does not trust (openssl makes a self-signed one;
 * skipped without openssl), a provider whose keys cannot be fetched, and an API configured with
 * another audience than the one the provider's tokens carry. Each explanation must name the
 * actual cause and a fix that addresses it.
 */
let idp: RunningIdp;
let dir: string;
let tls: HttpsServer | undefined;
let fake: Server;
let fakeUrl: string;
/** A port nothing listens on. */
const closed = CLOSED_PORT;
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function listen(server: Server | HttpsServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'todo-doctor-misconfig-'));
  idp = await startIdp({
    host: '127.0.0.1',
    port: 0,
    realm: await devRealm(),
    dataDir: seedKeys(join(dir, 'idp')),
  });
  fake = createServer((_req, res) => {
    void (async () => {
      const real = (await (
        await fetch(`${idp.issuer}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ ...real, issuer: fakeUrl, jwks_uri: `http://127.0.0.1:${closed}/certs` }),
      );
    })();
  });
  fakeUrl = `http://127.0.0.1:${await listen(fake)}`;
  if (hasOpenssl) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tls = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (_req, res) => res.end('{}'),
    );
    await listen(tls);
  }
});
afterAll(async () => {
  for (const server of [fake, tls]) {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }
  await idp?.close();
  await rm(dir, { recursive: true, force: true });
});

async function doctor(...args: string[]): Promise<{ code: number; diagnosis: Diagnosis }> {
  return doctorWith({}, ...args);
}

async function doctorWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; diagnosis: Diagnosis }> {
  const out: string[] = [];
  const code = await main(['doctor', '--json', ...args], {
    out: (text) => out.push(text),
    err: () => {},
    env: { TODO_CONFIG_DIR: join(dir, 'config'), ...env },
    fetch: (...a) => globalThis.fetch(...a),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    openBrowser: async () => false,
  });
  return { code, diagnosis: JSON.parse(out.join('\n')) as Diagnosis };
}

describe('todo doctor explains real misconfigurations', () => {
  it.skipIf(!hasOpenssl)(
    'an untrusted TLS certificate is named, with the way to trust its CA',
    async () => {
      const port = ((tls as HttpsServer).address() as AddressInfo).port;
      const { code, diagnosis } = await doctor('--issuer', `https://localhost:${port}/realms/x`);
      expect(code).toBe(1);
      const [finding] = diagnosis.findings;
      expect(finding?.code).toBe('discovery_unreachable');
      expect(finding?.received).toMatch(/self-signed certificate/);
      expect(finding?.fix.config).toMatch(/NODE_EXTRA_CA_CERTS/);
    },
  );

  it('an issuer the provider does not know (a wrong realm) points at OIDC_ISSUER, not at an internal address', async () => {
    const wrong = idp.issuer.replace(/todo-app$/, 'Todo-App');
    const { code, diagnosis } = await doctor('--issuer', wrong);
    expect(code).toBe(1);
    const [finding] = diagnosis.findings;
    expect(finding?.code).toBe('discovery_unreachable');
    expect(finding?.received).toMatch(/answered HTTP 404$/);
    expect(finding?.fix.config).toMatch(
      /^The provider answers but has no discovery document there: check OIDC_ISSUER/,
    );
    expect(finding?.fix.keycloak).toMatch(/case-sensitive/);
  });

  it('with OIDC_ISSUERS, an issuer off by a trailing slash names the entry field to correct', async () => {
    const { code, diagnosis } = await doctorWith({
      OIDC_ISSUERS: JSON.stringify([{ issuer: `${idp.issuer}/` }]),
    });
    expect(code).toBe(1);
    const [finding] = diagnosis.findings;
    expect(finding?.code).toBe('issuer_trailing_slash');
    expect(finding?.summary).toContain('which differs from OIDC_ISSUERS[0].issuer by a trailing');
    expect(finding?.fix.config).toBe(
      `Set OIDC_ISSUERS[0].issuer=${idp.issuer} (exactly, with or without the slash as the provider writes it).`,
    );
  });

  it('an unreachable issuer: the fix suggests OIDC_DISCOVERY_URL as an origin, which does work', async () => {
    const { diagnosis } = await doctor('--issuer', `http://127.0.0.1:${closed}/realms/todo-app`);
    expect(diagnosis.findings[0]?.fix.config).toMatch(
      /set OIDC_DISCOVERY_URL to that address, e\.g\. http:\/\/keycloak:8080 \(an origin alone keeps the issuer's path\)/,
    );
    // The same form, an origin alone, for the dev IdP reached by another name than its issuer's.
    const { port } = new URL(idp.issuer);
    const { code } = await doctorWith({
      OIDC_ISSUER: idp.issuer,
      OIDC_DISCOVERY_URL: `http://localhost:${port}`,
    });
    expect(code).toBe(0);
  });

  it('an OIDC_DISCOVERY_URL nothing answers at is named as the culprit, not offered as the fix', async () => {
    const discoveryUrl = `http://127.0.0.1:${closed}/realms/todo-app`;
    const { code, diagnosis } = await doctorWith({
      OIDC_ISSUER: idp.issuer,
      OIDC_DISCOVERY_URL: discoveryUrl,
    });
    expect(code).toBe(1);
    const [finding] = diagnosis.findings;
    expect(finding?.code).toBe('discovery_unreachable');
    expect(finding?.received).toMatch(/connection refused/);
    expect(finding?.fix.config).toBe(
      `OIDC_DISCOVERY_URL (${discoveryUrl}) cannot be reached from this host: check its host name and port (the provider as the API reaches it, inside Docker or Kubernetes its service name, e.g. http://keycloak:8080; an origin alone keeps the issuer's path), or remove it to fetch from the public issuer.`,
    );
    // With OIDC_ISSUERS, the entry's field names the culprit.
    const listed = await doctorWith({
      OIDC_ISSUERS: JSON.stringify([{ issuer: idp.issuer, discoveryUrl }]),
    });
    expect(listed.diagnosis.findings[0]?.fix.config).toMatch(
      /^OIDC_ISSUERS\[0\]\.discoveryUrl \(http:\/\/127\.0\.0\.1:\d+\/realms\/todo-app\) cannot be reached/,
    );
  });

  it("the API's own client refused by the provider (a wrong secret) is found before the Admin screen fails", async () => {
    const env = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'todo-api' };
    const wrong = await doctorWith({ ...env, OIDC_CLIENT_SECRET: 'hunter2-not-the-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.diagnosis.findings).toEqual([
      expect.objectContaining({
        code: 'client_credentials_refused',
        received: 'invalid_client',
        summary: expect.stringMatching(/^The provider refuses the API's own client todo-api /),
      }),
    ]);
    expect(wrong.diagnosis.findings[0]?.fix.keycloak).toMatch(/Clients → todo-api → Credentials/);
    expect(JSON.stringify(wrong.diagnosis)).not.toContain('hunter2');
    const right = await doctorWith({ ...env, OIDC_CLIENT_SECRET: 'todo-api-secret' });
    expect(right.diagnosis.findings).toEqual([]);
    expect(right.code).toBe(0);
    // With OIDC_ISSUERS, the entry's fields: the variables beside it would stop the API's start.
    const entry = { issuer: idp.issuer, clientId: 'todo-api', clientSecret: 'hunter2-not-it' };
    const listed = await doctorWith({ OIDC_ISSUERS: JSON.stringify([entry]) });
    expect(listed.code).toBe(1);
    const [refused] = listed.diagnosis.findings;
    expect(refused?.code).toBe('client_credentials_refused');
    expect(refused?.summary).toContain(
      'client todo-api (OIDC_ISSUERS[0].clientId / OIDC_ISSUERS[0].clientSecret) with invalid_client',
    );
    expect(refused?.fix.config).toMatch(
      /^Set OIDC_ISSUERS\[0\]\.clientId and OIDC_ISSUERS\[0\]\.clientSecret to the confidential client/,
    );
    expect(refused?.fix.keycloak).toMatch(
      /copy the Client Secret into OIDC_ISSUERS\[0\]\.clientSecret\.$/,
    );
    expect(JSON.stringify(listed.diagnosis)).not.toMatch(/OIDC_CLIENT_|OIDC_VERIFY|hunter2/);
  });

  it('a refused client with OIDC_VERIFY=introspect: every token is refused with 503, not only the Admin screen', async () => {
    const env = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'todo-api' };
    const secret = { OIDC_CLIENT_SECRET: 'hunter2-not-the-secret' };
    const local = await doctorWith({ ...env, ...secret });
    expect(local.diagnosis.findings[0]?.summary).toMatch(/: the API starts, but the Admin screen/);
    expect(local.diagnosis.findings[0]?.summary).not.toMatch(/503/);
    const introspecting = await doctorWith({ ...env, ...secret, OIDC_VERIFY: 'introspect' });
    expect(introspecting.code).toBe(1);
    const [refused] = introspecting.diagnosis.findings;
    expect(refused?.code).toBe('client_credentials_refused');
    expect(refused?.summary).toMatch(
      /with invalid_client: the API starts, but its introspection is refused as well, so every request with a token is refused with 503 and \/readyz reports the issuer unavailable/,
    );
    expect(JSON.stringify(introspecting.diagnosis)).not.toContain('hunter2');
  });

  it('keys that cannot be fetched are called keys, not the discovery document', async () => {
    const { code, diagnosis } = await doctor('--issuer', fakeUrl);
    expect(code).toBe(1);
    const finding = diagnosis.findings.find((f) => f.code === 'jwks_unreachable');
    expect(finding?.summary).toBe(
      `The keys (JWKS) cannot be loaded: GET http://127.0.0.1:${closed}/certs failed (connection refused).`,
    );
  });

  it('an API audience other than the one tokens carry offers that audience as the fix', async () => {
    const tokens = await passwordGrant(idp.issuer);
    await writeFile(join(dir, 'token'), tokens.access_token, { mode: 0o600 });
    const { code, diagnosis } = await doctor(
      '--issuer',
      idp.issuer,
      '--audience',
      'other-api',
      '--token-file',
      join(dir, 'token'),
    );
    expect(code).toBe(1);
    const [finding] = diagnosis.findings;
    expect(finding).toMatchObject({ expected: 'other-api', received: 'todo-api' });
    expect(finding?.summary).toMatch(/OIDC_AUDIENCE/);
    expect(finding?.fix.config).toBe(
      'If todo-api is this API, set OIDC_AUDIENCE=todo-api (or add it: OIDC_AUDIENCE=other-api,todo-api).',
    );
  });

  it('keeps what a token says on its finding’s line: a line break in iss prints no line of its own', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const iss = `${idp.issuer}\n\nNo problems found: the API would accept this setup.\n`;
    const claims = { iss, sub: 'x', aud: 'todo-api', azp: 'todo-cli', iat: now, exp: now + 300 };
    const token = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2ln`;
    await writeFile(join(dir, 'crafted'), token, { mode: 0o600 });
    const out: string[] = [];
    const code = await main(
      ['doctor', '--issuer', idp.issuer, '--token-file', join(dir, 'crafted')],
      {
        out: (text) => out.push(text),
        err: () => {},
        env: { TODO_CONFIG_DIR: join(dir, 'config') },
        fetch: (...a) => globalThis.fetch(...a),
        now: Date.now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        openBrowser: async () => false,
      },
    );
    expect(code).toBe(1);
    const lines = out.join('\n').split('\n');
    expect(lines).not.toContain('No problems found: the API would accept this setup.');
    expect(lines).toContain(
      `  The token says "${idp.issuer} No problems found: the API would accept this setup. ", which is not the configured issuer.`,
    );
    expect(lines.at(-1)).toBe('1 problem found: the API would refuse this setup.');
  });

  it("repeats the API's start-up warnings: an http issuer on another machine in production", async () => {
    const out: string[] = [];
    const env = {
      TODO_CONFIG_DIR: join(dir, 'config'),
      DATABASE_URL: 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso',
      OIDC_ISSUER: `http://sso.invalid:${closed}/realms/todo-app`,
      API_PUBLIC_URL: 'https://api.example.com',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    };
    const io = {
      out: (text: string) => out.push(text),
      err: () => {},
      env,
      fetch: (...a: Parameters<typeof fetch>) => globalThis.fetch(...a),
      now: Date.now,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      openBrowser: async () => false,
    };
    await main(['doctor'], io);
    expect(out.join('\n')).toMatch(
      new RegExp(`warning: OIDC_ISSUER ${env.OIDC_ISSUER.replaceAll('.', '\\.')} is not https: `),
    );
    out.length = 0;
    await main(['doctor', '--json'], io);
    expect(JSON.parse(out.join('\n')).warnings).toEqual([
      expect.stringMatching(
        /^OIDC_ISSUER http:\/\/sso\.invalid:\d+\/realms\/todo-app is not https/,
      ),
    ]);
    // A setup without warnings keeps the diagnosis as it was.
    const { diagnosis } = await doctor('--issuer', idp.issuer);
    expect(diagnosis).not.toHaveProperty('warnings');
  });

  it('reports a production API accepting DPoP without API_PUBLIC_URL: htu is Host-chosen', async () => {
    const out: string[] = [];
    const env = {
      TODO_CONFIG_DIR: join(dir, 'config'),
      DATABASE_URL: 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso',
      OIDC_ISSUER: `https://sso.invalid:${closed}/realms/todo-app`,
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 'todo-api-secret',
    };
    await main(['doctor', '--json'], {
      out: (text: string) => out.push(text),
      err: () => {},
      env,
      fetch: (...a: Parameters<typeof fetch>) => globalThis.fetch(...a),
      now: Date.now,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      openBrowser: async () => false,
    });
    // RFC 9449 §4.3 step 9, §11.1: the proof's htu is checked against the origin Host names.
    expect(JSON.parse(out.join('\n')).warnings).toEqual([
      expect.stringMatching(
        /^API_PUBLIC_URL is not set: .*DPoP proofs' htu \(RFC 9449 §4\.3\) is checked against the Host or X-Forwarded-Host .*; set API_PUBLIC_URL/,
      ),
    ]);
  });

  it('introspection with a wrong client secret names the credentials, not the token', async () => {
    const tokens = await passwordGrant(idp.issuer);
    await writeFile(join(dir, 'token'), tokens.access_token, { mode: 0o600 });
    const { code, diagnosis } = await doctorWith(
      {
        OIDC_VERIFY: 'introspect',
        OIDC_CLIENT_ID: 'todo-api',
        OIDC_CLIENT_SECRET: 'not-the-secret',
      },
      '--issuer',
      idp.issuer,
      '--token-file',
      join(dir, 'token'),
    );
    expect(code).toBe(1);
    // The setup check finds the credentials refused too (client credentials grant).
    expect(diagnosis.findings.map((f) => f.code)).toContain('client_credentials_refused');
    const finding = diagnosis.findings.find((f) => f.check === 'token');
    expect(finding?.apiCode).toBe('idp_unavailable');
    // The provider answered 401 to the API's client authentication (RFC 7662 §2.1).
    expect(finding?.summary).toMatch(/refused the API's client credentials/);
    expect(finding?.received).toMatch(/answered HTTP 401/);
    expect(finding?.fix.config).toMatch(/OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
    expect(finding?.fix.keycloak).not.toMatch(/Sign in again/);
    expect(JSON.stringify(diagnosis)).not.toContain('not-the-secret');
    // With OIDC_ISSUERS, the entry's fields: the variables beside it would stop the API's start.
    const entry = { issuer: idp.issuer, audience: 'todo-api', verify: 'introspect' };
    const listed = await doctorWith(
      {
        OIDC_ISSUERS: JSON.stringify([{ ...entry, clientId: 'todo-api', clientSecret: 'wrong' }]),
      },
      '--token-file',
      join(dir, 'token'),
    );
    const refusal = listed.diagnosis.findings.find((f) => f.check === 'token');
    expect(refusal?.fix.config).toMatch(
      /^Set OIDC_ISSUERS\[0\]\.clientId and OIDC_ISSUERS\[0\]\.clientSecret .*OIDC_ISSUERS\[0\]\.verify=jwt\)\.$/,
    );
    expect(refusal?.fix.keycloak).toMatch(
      /copy the Client Secret into OIDC_ISSUERS\[0\]\.clientSecret\.$/,
    );
    expect(JSON.stringify(listed.diagnosis)).not.toMatch(/OIDC_CLIENT_|OIDC_VERIFY/);
  });
});
