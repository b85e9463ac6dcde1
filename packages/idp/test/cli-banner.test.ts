import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

/**
 * `npm run idp` prints the demo users "password = username": only people who sign in so, as the
 * login page lists them, not the API client's service account (service-account-todo-api), which
 * no password signs in as. Both profiles read the same realm file.
 */
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'idp-cli-banner-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function banner(profile: string): Promise<string> {
  const idp = spawn(process.execPath, [cli], {
    env: { ...process.env, IDP_PROFILE: profile, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  idp.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  try {
    const deadline = Date.now() + 20_000;
    // The banner opens and closes with a line of "=".
    while ((stdout.match(/^={78}$/gm)?.length ?? 0) < 3 && idp.exitCode === null) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return stdout;
  } finally {
    idp.kill('SIGTERM');
    await once(idp, 'exit');
  }
}

it.each(['keycloak', 'authentik'])(
  'the %s profile lists the demo people and not a service account',
  async (profile) => {
    const out = await banner(profile);
    const listed = out
      .slice(out.indexOf('demo users (password = username):'))
      .split('\n')
      .slice(1)
      .filter((line) => /^ {4}\S/.test(line))
      .map((line) => line.trim().split(/\s+/)[0]);
    expect(listed, out).toEqual(['alice', 'bob', 'carol', 'admin', 'testuser']);
  },
);
