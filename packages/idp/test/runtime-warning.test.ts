import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

it('loading the identity provider prints no "Unsupported runtime" line on a tested Node', () => {
  const loaded = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(dist)})`], {
    encoding: 'utf8',
  });
  expect(loaded.status).toBe(0);
  expect(loaded.stderr).not.toContain('Unsupported runtime');
  // The CLI entry (npm run idp / npm start) silences it too; a bad port makes it exit at once.
  const started = spawnSync(process.execPath, [cli], {
    encoding: 'utf8',
    env: { ...process.env, PORT: 'not-a-port' },
    timeout: 20_000,
  });
  expect(started.stderr).not.toContain('Unsupported runtime');
});

it('the first sign-in prints no "already parsed request body" warning (the IdP reads forms first on purpose)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-warning-'));
  // Any free port, bound by the IdP itself (a port picked free here could be taken before the
  // IdP binds it); the issuer it prints names it.
  const idp = spawn(process.execPath, [cli], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir },
  });
  let output = '';
  idp.stdout.on('data', (chunk) => {
    output += chunk;
  });
  idp.stderr.on('data', (chunk) => {
    output += chunk;
  });
  try {
    const issued = () =>
      /issuer +(http:\/\/127\.0\.0\.1:\d+\/realms\/todo-app)\n/.exec(output)?.[1];
    for (let i = 0; i < 200 && issued() === undefined; i++) await sleep(100);
    const issuer = issued() as string;
    expect(issuer, output).toEqual(expect.any(String));
    const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'todo-cli',
        username: 'alice',
        password: 'alice',
      }),
    });
    expect(res.status).toBe(200);
    // A second form post: oidc-provider would print its warning at the first one only.
    await fetch(`${issuer}/protocol/openid-connect/token`, { method: 'POST', body: 'x=1' });
    await sleep(200);
    expect(output).not.toContain('oidc-provider WARNING');
  } finally {
    idp.kill('SIGTERM');
    await new Promise((done) => idp.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

it('drops only oidc-provider\'s two known lines, and "Unsupported runtime" on Node 20 alone', () => {
  const filter = fileURLToPath(new URL('../dist/runtime-warning.js', import.meta.url));
  const unsupported =
    'oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.';
  const preRead = 'oidc-provider WARNING: already parsed request body detected, …';
  const printed = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(filter)});
       for (const line of ${JSON.stringify([unsupported, preRead, 'another warning'])}) console.warn(line);
       console.warn(${JSON.stringify(unsupported)});`,
    ],
    { encoding: 'utf8' },
  );
  expect(printed.status).toBe(0);
  const lines = printed.stderr.trim().split('\n');
  // oidc-provider prints it only below Node 22 LTS; where it does not (22, 24), nothing that
  // looks like it is hidden, so a runtime it does not support still shows.
  const major = process.versions.node.split('.')[0];
  expect(lines).toEqual(
    major === '20'
      ? ['another warning', unsupported]
      : [unsupported, 'another warning', unsupported],
  );
});
