import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSession } from './support/run.js';
import { passwordGrant, type Stack, startStack } from './support/stack.js';

/**
 * A keyring that answers, and a session in the token file all the same: the keyring refused
 * the tokens at sign-in (the Windows Credential Manager takes at most 2560 bytes, less than an
 * access, refresh and ID token together) and `todo login` fell back to the file, or the person
 * signed in with TODO_TOKEN_STORE=file before. Later commands must find that session, and
 * `todo logout` must leave no tokens in the file. Real GNOME Keyring over D-Bus, `todo` as a
 * separate process (skipped without them, like keyring.test.ts).
 */
const bin = fileURLToPath(new URL('../bin/todo.js', import.meta.url));

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = ['dbus-run-session', 'gnome-keyring-daemon'].every(has);

const SCRIPT = `
printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
todo() { node "$TODO_BIN" "$@"; }
todo whoami && echo "@@whoami"
todo logout
if grep -q refreshToken "$TODO_CONFIG_DIR/sessions.json" 2>/dev/null; then echo "@@file-left"; else echo "@@file-clean"; fi
`;

describe.skipIf(!available)('a session in the token file while the keyring answers', () => {
  let stack: Stack;
  let home: string;
  beforeAll(async () => {
    stack = await startStack();
    home = await mkdtemp(join(tmpdir(), 'todo-keyring-file-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('is used by later commands and removed by todo logout', async () => {
    const configDir = join(home, 'config');
    await mkdir(configDir, { mode: 0o700 });
    const tokens = await passwordGrant(stack.issuer, 'bob');
    const session = {
      issuer: stack.issuer,
      clientId: 'todo-cli',
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresAt: Date.now() + 300_000,
    };
    writeSession(configDir, session);
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', SCRIPT], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_DATA_HOME: join(home, 'data'),
        TODO_BIN: bin,
        TODO_CONFIG_DIR: configDir,
        TODO_ISSUER: stack.issuer,
        TODO_API_URL: stack.apiUrl,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(out, err).toMatch(/^username +bob$/m);
    expect(out).toContain('@@whoami');
    expect(out).toContain('Signed out: the session at the identity provider has ended.');
    expect(out).toContain('@@file-clean');
    expect(existsSync(join(configDir, 'sessions.json'))).toBe(false);
  });
});
