import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveCommands, inUnlockedKeyring, tempHome } from './support/keyring.js';
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
const available = haveCommands('dbus-run-session', 'gnome-keyring-daemon');

const SCRIPT = `
todo() { node "$TODO_BIN" "$@"; }
todo whoami && echo "@@whoami"
todo logout
if grep -q refreshToken "$TODO_CONFIG_DIR/sessions.json" 2>/dev/null; then echo "@@file-left"; else echo "@@file-clean"; fi
`;

describe.skipIf(!available)('a session in the token file while the keyring answers', () => {
  const home = tempHome('todo-keyring-file-');
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is used by later commands and removed by todo logout', async () => {
    const configDir = join(home(), 'config');
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
    const { out, err } = await inUnlockedKeyring(SCRIPT, {
      home: home(),
      configDir,
      env: { TODO_ISSUER: stack.issuer, TODO_API_URL: stack.apiUrl },
    });
    expect(out, err).toMatch(/^username +bob$/m);
    expect(out).toContain('@@whoami');
    expect(out).toContain('Signed out: the session at the identity provider has ended.');
    expect(out).toContain('@@file-clean');
    expect(existsSync(join(configDir, 'sessions.json'))).toBe(false);
  });
});
