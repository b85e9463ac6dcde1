/**
 * `npm start` and the API's own rules about issuers: the same answer from both. A provider that
 * is not on this machine with no DATABASE_URL is refused as the API's server refuses it (the
 * embedded SQLite file would be a deployment's only copy of its todos), and `OIDC_ISSUERS`
 * replaces the stack's single-issuer defaults instead of being refused beside them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, passwordGrant, root, type Stack, startStack, startStackOn } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'todo-sso-start-issuers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function ports() {
  return { IDP_PORT: await freePort(), API_PORT: await freePort(), WEB_PORT: await freePort() };
}

/** `npm start` expected to stop before anything starts: its exit, output and data folder. */
async function refused(env: Record<string, string>) {
  const dataDir = join(scratch, `data-${Object.keys(env).join('-')}`);
  const portEnv = Object.entries(await ports()).map(([k, v]) => [k, String(v)]);
  const run = spawnSync(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      ...Object.fromEntries(portEnv),
      ...env,
    },
  });
  return { ...run, dataDir };
}

describe('npm start with an issuer that is not on this machine and no DATABASE_URL', () => {
  it('refuses the embedded database as the API does: one line, exit code 78, nothing written', async () => {
    const run = await refused({ OIDC_ISSUER: 'https://sso.example.com/realms/todo' });
    expect(run.status).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^✗ Configuration error: DATABASE_URL: is not set but the issuer https:\/\/sso\.example\.com\/realms\/todo is not on this machine: .*ALLOW_SQLITE=true/,
    );
    expect(run.stdout).not.toContain('ready');
    expect(existsSync(run.dataDir)).toBe(false);
  });
});

describe('npm start with OIDC_ISSUERS', () => {
  it('names a single-issuer variable set beside it, as the API does', async () => {
    const run = await refused({
      OIDC_ISSUERS: '[{"issuer":"http://localhost:8080/realms/todo-app"}]',
      OIDC_CLIENT_ID: 'todo-api',
    });
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toMatch(
      /^✗ Configuration error: OIDC_CLIENT_ID: is not read when OIDC_ISSUERS is set .*set "clientId" in the OIDC_ISSUERS entries/,
    );
  });

  it('starts the stack with the API trusting the issuers listed', async () => {
    let stack: Stack | undefined;
    let api = 0;
    let issuer = '';
    // A port found free can be taken before the stack binds it: up to three tries.
    for (let attempt = 1; stack === undefined; attempt++) {
      const chosen = await ports();
      issuer = `http://localhost:${chosen.IDP_PORT}/realms/todo-app`;
      api = chosen.API_PORT;
      try {
        stack = await startStack({
          ...Object.fromEntries(Object.entries(chosen).map(([k, v]) => [k, String(v)])),
          OIDC_ISSUERS: JSON.stringify([{ issuer }]),
        });
      } catch (error) {
        if (attempt >= 3 || !/already in use|EADDRINUSE/.test((error as Error).message))
          throw error;
      }
    }
    try {
      const grant = await passwordGrant(issuer);
      expect(grant.status).toBe(200);
      const { access_token } = (await grant.json()) as { access_token: string };
      const me = await fetch(`http://localhost:${api}/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(me.status).toBe(200);
      expect(stack.output).not.toContain('which the API does not trust');
    } finally {
      await stack.stop();
    }
  }, 200_000);

  it('says so when the API does not trust the provider the web app signs in at', async () => {
    // Another provider on this machine (nothing answers there; the API loads its keys lazily).
    const elsewhere = `http://127.0.0.1:${await freePort()}/realms/elsewhere`;
    const { stack } = await startStackOn(ports, {
      OIDC_ISSUERS: JSON.stringify([{ issuer: elsewhere }]),
    });
    try {
      await expect
        .poll(() => stack.output)
        .toMatch(
          /⚠ The web app signs in at http:\/\/localhost:\d+\/realms\/todo-app, which the API does not trust \(it trusts http:\/\/127\.0\.0\.1:\d+\/realms\/elsewhere\): .*\(401\)\. Add that issuer to OIDC_ISSUERS, or unset OIDC_ISSUERS\.$/m,
        );
      // OIDC_ISSUER is not set: the fix names only the variable that is.
      expect(stack.output).not.toContain('OIDC_ISSUER,');
    } finally {
      await stack.stop();
    }
  }, 200_000);

  it('names OIDC_ISSUER in that warning when it is OIDC_ISSUER that names another provider', async () => {
    const elsewhere = `http://127.0.0.1:${await freePort()}/realms/elsewhere`;
    const { stack } = await startStackOn(ports, { OIDC_ISSUER: elsewhere });
    try {
      await expect
        .poll(() => stack.output)
        .toMatch(
          /⚠ The web app signs in at http:\/\/localhost:\d+\/realms\/todo-app, which the API does not trust \(it trusts http:\/\/127\.0\.0\.1:\d+\/realms\/elsewhere\): .*\(401\)\. Unset OIDC_ISSUER, or replace it with OIDC_ISSUERS listing both issuers\.$/m,
        );
    } finally {
      await stack.stop();
    }
  }, 200_000);
});
