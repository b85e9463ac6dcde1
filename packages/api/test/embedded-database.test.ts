import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { configWarnings, embeddedDatabaseRefusal } from '../src/config/warnings.js';

/**
 * The embedded SQLite file (no DATABASE_URL) is the development setup. An issuer that is not on
 * this machine means a deployment, where the file would be lost with the container and each
 * replica would keep its own todos and revocations: the API refuses to start there unless
 * ALLOW_SQLITE=true, and with NODE_ENV=production on SQLite it says what it is doing.
 */
const REMOTE = 'https://sso.example.com/realms/todo-app';

describe('embeddedDatabaseRefusal', () => {
  const refusal = (env: Record<string, string>) => embeddedDatabaseRefusal(loadConfig(env), env);

  it('refuses SQLite with an issuer elsewhere, naming the issuer, the file and both ways out', () => {
    const reason = refusal({ OIDC_ISSUER: REMOTE, DATA_DIR: '/data' });
    expect(reason).toMatch(
      /^is not set but the issuer https:\/\/sso\.example\.com\/realms\/todo-app is not on this machine: .*SQLite file \/data\/todo\.db.*set DATABASE_URL to the PostgreSQL database.*ALLOW_SQLITE=true/,
    );
    const listed = JSON.stringify([
      { issuer: 'http://localhost:8080/realms/todo-app' },
      { issuer: 'https://auth.example.com/application/o/todo-app/', provider: 'authentik' },
    ]);
    expect(refusal({ OIDC_ISSUERS: listed })).toContain('https://auth.example.com/');
  });

  it('lets the development setup, PostgreSQL and an explicit ALLOW_SQLITE=true start', () => {
    expect(refusal({})).toBeUndefined();
    for (const local of [
      'http://127.0.0.1:8080/realms/x',
      'http://[::1]:8080/realms/x',
      // IPv4-mapped loopback, which the URL parser writes in hex ([::ffff:7f00:1]).
      'http://[::ffff:127.0.0.1]:8080/realms/x',
      // Names under .localhost are this machine's (RFC 6761 §6.3): a local TLS proxy's name.
      'https://sso.localhost/realms/x',
      'https://SSO.Localhost.:8443/realms/x',
    ])
      expect(refusal({ OIDC_ISSUER: local }), local).toBeUndefined();
    for (const elsewhere of ['https://localhost.example.com/realms/x', 'https://mylocalhost/x'])
      expect(refusal({ OIDC_ISSUER: elsewhere }), elsewhere).toBeDefined();
    expect(
      refusal({ OIDC_ISSUER: REMOTE, DATABASE_URL: 'postgres://u:p@db:5432/todo' }),
    ).toBeUndefined();
    expect(refusal({ OIDC_ISSUER: REMOTE, ALLOW_SQLITE: 'true' })).toBeUndefined();
    expect(refusal({ OIDC_ISSUER: REMOTE, ALLOW_SQLITE: 'false' })).toBeDefined();
  });

  it('NODE_ENV=production on SQLite is a warning naming the file, unless ALLOW_SQLITE=true', () => {
    const env = { NODE_ENV: 'production', DATA_DIR: '/data', API_PUBLIC_URL: 'https://api.test' };
    const complete = { ...env, OIDC_CLIENT_ID: 'todo-api', OIDC_CLIENT_SECRET: 's' };
    const warnings = configWarnings(loadConfig(complete), complete);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^NODE_ENV is production but DATABASE_URL is not set: .* \/data\/todo\.db, .*ALLOW_SQLITE=true/,
    );
    const allowed = { ...complete, ALLOW_SQLITE: 'true' };
    expect(configWarnings(loadConfig(allowed), allowed)).toEqual([]);
    const test = { NODE_ENV: 'test' };
    expect(configWarnings(loadConfig(test), test)).toEqual([]);
  });

  it('a deployment on SQLite gets the issuer and public-URL warnings PostgreSQL gets', () => {
    // ALLOW_SQLITE=true with a provider elsewhere is a deployment: without API_PUBLIC_URL a DPoP
    // proof's htu is checked against the Host the request names (RFC 9449 §4.3, §11.1).
    const allowed = {
      ALLOW_SQLITE: 'true',
      OIDC_ISSUER: 'http://sso.example.com/realms/todo-app',
      OIDC_CLIENT_ID: 'todo-api',
      OIDC_CLIENT_SECRET: 's',
    };
    const onPostgres = { ...allowed, DATABASE_URL: 'postgres://u:p@db:5432/todo' };
    const warnings = configWarnings(loadConfig(allowed), allowed);
    expect(warnings).toEqual([
      expect.stringMatching(/^API_PUBLIC_URL is not set: .*DPoP proofs' htu \(RFC 9449 §4\.3\)/),
      expect.stringMatching(
        /^OIDC_ISSUER http:\/\/sso\.example\.com\/realms\/todo-app is not https/,
      ),
    ]);
    expect(configWarnings(loadConfig(onPostgres), onPostgres)).toEqual(warnings);
    // NODE_ENV=production on SQLite: the database warning first, then the same ones.
    const production = { ...allowed, ALLOW_SQLITE: 'false', NODE_ENV: 'production' };
    expect(configWarnings(loadConfig(production), production)).toEqual([
      expect.stringMatching(/^NODE_ENV is production but DATABASE_URL is not set: /),
      ...warnings,
    ]);
  });
});

describe('server.ts on the embedded database (the built dist/server.js)', () => {
  const distServer = new URL('../dist/server.js', import.meta.url).pathname;
  let idp: TestIssuer;
  let dataDir: string;
  beforeAll(async () => {
    idp = await startTestIssuer();
    dataDir = await mkdtemp(join(tmpdir(), 'todo-embedded-db-'));
  });
  afterAll(async () => {
    await idp.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function run(env: Record<string, string>) {
    const child = spawn(process.execPath, [distServer], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    return { child, output };
  }

  async function listening(started: ReturnType<typeof run>): Promise<void> {
    const { child, output } = started;
    while (!/listening on \S+/.test(output.stdout) && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(output.stdout, output.stderr).toMatch(/listening on \S+/);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  }

  it('with an issuer elsewhere and no DATABASE_URL: exit 78, one line, no SQLite file made', async () => {
    const { child, output } = run({ OIDC_ISSUER: REMOTE, NODE_ENV: 'production' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output.stderr.trim().split('\n')).toHaveLength(1);
    expect(output.stderr).toMatch(
      /^todo-api: configuration error: DATABASE_URL: is not set but the issuer https:\/\/sso\.example\.com\/realms\/todo-app is not on this machine: /,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('starts with ALLOW_SQLITE=true, and warns about NODE_ENV=production without it', async () => {
    // The issuer is never reached here: the API starts and waits for it (/readyz says so).
    await listening(
      run({ OIDC_ISSUER: 'https://sso.invalid/realms/todo-app', ALLOW_SQLITE: 'true' }),
    );
    const production = run({ OIDC_ISSUER: idp.issuer, NODE_ENV: 'production' });
    await listening(production);
    expect(production.output.stderr).toMatch(
      /^todo-api: warning: NODE_ENV is production but DATABASE_URL is not set: /m,
    );
  });
});
