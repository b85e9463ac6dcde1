import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '@todo-sso/auth/diagnose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminal } from './support/run.js';
import { devRealm, passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * `todo doctor` against the real dev IdP: once with the repository's realm (nothing to find),
 * once with a realm whose `todo-cli` client lacks the audience mapper for `todo-api` (its
 * tokens say `aud: "account"`, as Keycloak's do without it). The API's configuration is read
 * from the environment exactly as the API reads it.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** `npm run doctor` as a separate process (the IdP runs in this one, so never block it). */
function npmRunDoctor(issuer: string): Promise<{ status: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'doctor'],
      { cwd: repoRoot, env: { ...process.env, OIDC_ISSUER: issuer }, timeout: 30_000 },
      (error, stdout) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

async function realmWithoutAudienceMapper() {
  const realm = await devRealm();
  for (const client of realm.clients ?? []) {
    if (client.clientId !== 'todo-cli') continue;
    for (const mapper of client.protocolMappers ?? []) {
      if (mapper.protocolMapper === 'oidc-audience-mapper' && mapper.config)
        mapper.config['included.client.audience'] = 'account';
    }
  }
  return realm;
}

/** The dev realm with alice granted nothing: her tokens are valid but carry no permission. */
async function realmWithoutAliceRoles() {
  const realm = await devRealm();
  for (const user of realm.users ?? []) if (user.username === 'alice') user.realmRoles = [];
  return realm;
}

describe('todo doctor', () => {
  let good: Stack;
  let broken: Stack;
  let unprivileged: Stack;
  let configDir: string;

  beforeAll(async () => {
    [good, broken, unprivileged] = await Promise.all([
      startStack(),
      startStack({ realm: await realmWithoutAudienceMapper() }),
      startStack({ realm: await realmWithoutAliceRoles() }),
    ]);
    configDir = await mkdtemp(join(tmpdir(), 'todo-doctor-'));
  });
  afterAll(async () => {
    await good?.close();
    await broken?.close();
    await unprivileged?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const env = (stack: Stack) => ({
    TODO_CONFIG_DIR: configDir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
    OIDC_ISSUER: stack.issuer,
  });

  it('finds nothing and exits 0 for a correct setup and a token from the device grant', async () => {
    const result = await terminal(env(good)).run('doctor', '--login');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`issuer ${good.issuer}`);
    expect(result.out).toMatch(
      /token {5}accepted for alice \(permissions: todos:read, todos:write\)/,
    );
    expect(result.out).toMatch(/No problems found: the API would accept this setup\.$/);
  });

  it('finds the missing audience mapper with the Keycloak and Authentik fixes, and exits 1', async () => {
    const result = await terminal(env(broken)).run('doctor', '--login');
    expect(result.code).toBe(1);
    expect(result.out).toContain('token     refused: audience_mismatch');
    expect(result.out).toContain('✗ audience_mapper_missing (the API answers audience_mismatch)');
    expect(result.out).toContain('  expected: todo-api\n  received: account');
    expect(result.out).toContain(
      'fix (Keycloak):  Clients → <client> → Client scopes → <client>-dedicated → Add mapper → By configuration → Audience: Included Client Audience = todo-api, Add to access token = On.',
    );
    expect(result.out).toContain('1 problem found: the API would refuse this setup.');
  });

  it('advises the OIDC_ISSUERS entry fields, not the variables refused beside OIDC_ISSUERS', async () => {
    const { OIDC_ISSUER: _single, ...rest } = env(broken);
    const issuers = JSON.stringify([{ issuer: broken.issuer, audience: 'todo-api' }]);
    const result = await terminal({ ...rest, OIDC_ISSUERS: issuers }).run('doctor', '--login');
    expect(result.code).toBe(1);
    expect(result.out).toContain('✗ audience_mapper_missing (the API answers audience_mismatch)');
    expect(result.out).toContain(
      'fix (API configuration): Do not add "account" to OIDC_ISSUERS[0].audience',
    );
    // Following the advice must not stop the API's start (exit 78 beside OIDC_ISSUERS).
    expect(result.out).not.toContain('OIDC_AUDIENCE');
  });

  it("checks the token for the API's everyday permissions, named by the API", async () => {
    const result = await terminal(env(unprivileged)).run('doctor', '--login');
    expect(result.code).toBe(1);
    expect(result.out).toContain('roles_missing');
    expect(result.out).toContain('todos:read, todos:write');
  });

  it('signs in even when the API refuses the new token, and says to run the doctor', async () => {
    const result = await terminal(env(broken)).run('login');
    expect(result.code).toBe(0);
    expect(result.err).toMatch(
      new RegExp(
        `The API at ${broken.apiUrl} does not accept the new token: .+\\(HTTP 401, audience_mismatch\\)\\n {2}expected: todo-api\\n {2}received: account\\nRun todo doctor --login to find out why\\.`,
      ),
    );
    expect(result.out).toMatch(/^Signed in at /);
  });

  it('answers JSON with --json, and checks --issuer instead of the environment', async () => {
    const wrong = `${good.issuer}/`;
    const result = await terminal(env(good)).run('doctor', '--issuer', wrong, '--json');
    expect(result.code).toBe(1);
    const diagnosis = JSON.parse(result.out) as Diagnosis;
    expect(diagnosis.ok).toBe(false);
    expect(diagnosis.findings.map((f) => f.code)).toEqual(['issuer_trailing_slash']);
    expect(diagnosis.findings[0]?.fix.config).toBe(
      `Set OIDC_ISSUER=${good.issuer} (exactly, with or without the slash as the provider writes it).`,
    );
  });

  it('never prints the token it checks or a client secret it read, whatever the verdict', async () => {
    const tokens = await passwordGrant(good.issuer);
    const secret = 'doctor-must-not-print-this-client-secret';
    const header = tokens.access_token.split('.')[0] as string;
    const checked = [
      tokens.access_token,
      tokens.id_token,
      tokens.refresh_token,
      `${tokens.access_token.slice(0, -8)}AAAAAAAA`,
      `${header}.bm90LWpzb24.c2ln`,
    ];
    for (const [i, token] of checked.entries()) {
      for (const extra of [[], ['--json']]) {
        const t = terminal({
          ...env(good),
          ...(i === 0
            ? { OIDC_VERIFY: 'introspect', OIDC_CLIENT_ID: 'todo-api', OIDC_CLIENT_SECRET: secret }
            : {}),
        });
        const result = await t.run('doctor', '--token', token, ...extra);
        const printed = `${result.out}\n${result.err}`;
        expect(printed).not.toContain(token.split('.').slice(1).join('.'));
        expect(printed).not.toContain(token.slice(-16));
        expect(printed).not.toContain(secret);
      }
    }
  });

  it('with --login, still diagnoses an issuer the sign-in cannot use instead of stopping at it', async () => {
    const result = await terminal(env(good)).run(
      'doctor',
      '--issuer',
      `${good.issuer}/`,
      '--login',
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain('✗ issuer_trailing_slash');
    expect(result.err).toMatch(/^No sign-in, so no token to check: /);
  });

  it('runs as npm run doctor on the API’s own environment', async () => {
    const run = await npmRunDoctor(`${good.issuer}/`);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Checked the API configuration in this environment.');
    expect(run.stdout).toContain('✗ issuer_trailing_slash');
    const ok = await npmRunDoctor(good.issuer);
    expect(ok.stdout).toContain('No problems found');
    expect(ok.status).toBe(0);
  });
});

/**
 * `todo doctor --login` signs in as `todo login` would: with TODO_DPOP=auto (the default) a
 * DPoP-bound token when the API's protected resource metadata says it requires them (RFC 9728
 * §2, `dpop_bound_access_tokens_required`), so an API with OIDC_DPOP=required is diagnosed
 * with the token the CLI would use, not with a bearer token it would never get.
 */
describe('todo doctor --login against an API that requires DPoP', () => {
  let stack: Stack;
  let configDir: string;
  const dpopEnv = { OIDC_DPOP: 'required', DPOP_NONCE_SECRET: 'n'.repeat(48) };

  beforeAll(async () => {
    stack = await startStack({ apiEnv: dpopEnv });
    configDir = await mkdtemp(join(tmpdir(), 'todo-doctor-dpop-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const env = (dpop?: 'on' | 'off') => ({
    TODO_CONFIG_DIR: configDir,
    TODO_ISSUER: stack.issuer,
    TODO_API_URL: stack.apiUrl,
    TODO_TOKEN_STORE: 'file',
    OIDC_ISSUER: stack.issuer,
    ...dpopEnv,
    ...(dpop === undefined ? {} : { TODO_DPOP: dpop }),
  });

  it.each([
    { dpop: undefined, name: 'unset, so auto' },
    { dpop: 'on', name: 'on' },
  ] as const)(
    'signs in with a DPoP-bound token (TODO_DPOP $name) and finds nothing',
    async ({ dpop }) => {
      const result = await terminal(env(dpop)).run('doctor', '--login', '--json');
      const diagnosis = JSON.parse(result.out) as Diagnosis;
      expect(diagnosis.findings.map((f) => f.code)).toEqual([]);
      expect(diagnosis.token).toMatchObject({ accepted: true, username: 'alice' });
      expect(result.code).toBe(0);
    },
  );

  it('with TODO_DPOP=off, signs in with a bearer token and says the API refuses it', async () => {
    const result = await terminal(env('off')).run('doctor', '--login', '--json');
    const diagnosis = JSON.parse(result.out) as Diagnosis;
    expect(diagnosis.findings.map((f) => f.code)).toEqual(['dpop_token_unbound']);
    expect(result.code).toBe(1);
  });

  it('with OIDC_ISSUERS, advises the entry field for the unbound token, not OIDC_DPOP', async () => {
    const { OIDC_ISSUER: _issuer, OIDC_DPOP: _dpop, ...rest } = env('off');
    const issuers = JSON.stringify([{ issuer: stack.issuer, dpop: 'required' }]);
    const result = await terminal({ ...rest, OIDC_ISSUERS: issuers }).run(
      'doctor',
      '--login',
      '--json',
    );
    const [unbound] = (JSON.parse(result.out) as Diagnosis).findings;
    expect(unbound?.code).toBe('dpop_token_unbound');
    expect(unbound?.summary).toContain('and OIDC_ISSUERS[0].dpop requires bound tokens');
    expect(unbound?.fix.config).toMatch(/^Set OIDC_ISSUERS\[0\]\.dpop=allowed until/);
    expect(unbound?.fix.authentik).toContain('keep OIDC_ISSUERS[0].dpop=allowed');
    // Following the advice must not stop the API's start (exit 78 beside OIDC_ISSUERS).
    expect(result.out).not.toContain('OIDC_DPOP');
    expect(result.code).toBe(1);
  });
});
