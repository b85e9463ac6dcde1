import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/store/types.js';
import {
  haveCommands,
  inUnlockedKeyring,
  PUT_SESSION_IN_KEYRING,
  runProcess,
  tempHome,
  todoBin,
} from './support/keyring.js';
import { writeSession } from './support/run.js';

/**
 * A keyring that is there but fails the check `todo` makes before a command (a GNOME Keyring
 * collection locked, with no display to ask for the password on) is reported, with the way out;
 * a machine with no keyring at all (no D-Bus session, headless CI) keeps using the token file
 * without a word. Real GNOME Keyring over D-Bus, locked through the Secret Service's own Lock
 * call; `todo` as a separate process (skipped without them, like keyring.test.ts).
 */
const available = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'dbus-send');

const ISSUER = 'http://127.0.0.1:9/realms/todo-app';
const session: StoredSession = {
  issuer: ISSUER,
  clientId: 'todo-cli',
  accessToken: 'eyJhbGciOi.kept-in-the-keyring.c2lnbmF0dXJl',
  refreshToken: 'eyJhbGciOi.refresh.c2lnbmF0dXJl',
  expiresAt: Date.now() + 3_600_000,
};

/** The session goes into the unlocked keyring, then its collection is locked. */
const LOCKED_SCRIPT = `
${PUT_SESSION_IN_KEYRING}
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
node "$TODO_BIN" token; echo "@@exit $?"
TODO_TOKEN_STORE=file node "$TODO_BIN" token; echo "@@file-exit $?"
`;

describe.skipIf(!available)('a keyring that fails the check before the command', () => {
  const home = tempHome('todo-keyring-locked-');

  it('a locked collection: says the keyring could not be opened, why, and TODO_TOKEN_STORE=file', async () => {
    const dir = await mkdtemp(join(home(), 'locked-'));
    const configDir = join(dir, 'config');
    await mkdir(configDir, { mode: 0o700 });
    // The way out: the same session signed in with the token file before.
    writeSession(configDir, { ...session, accessToken: 'eyJhbGciOi.kept-in-the-file.c2ln' });
    const { out, err } = await inUnlockedKeyring(LOCKED_SCRIPT, {
      home: dir,
      configDir,
      env: { SESSION: JSON.stringify(session), TODO_ISSUER: ISSUER },
    });
    expect(out, err).toContain('@@exit 2');
    expect(err).toMatch(
      /^todo token: The system keyring \(service "todo-sso"\) could not be opened: Couldn't access platform storage: Secret Service: .+\. Unlock the keyring and try again, or set TODO_TOKEN_STORE=file to keep the tokens in a file of your own \(mode 0600\) instead\.$/m,
    );
    expect(err).not.toContain('Not signed in');
    expect(out).not.toContain(session.accessToken);
    // TODO_TOKEN_STORE=file reads the file and never asks the keyring.
    expect(out).toContain('eyJhbGciOi.kept-in-the-file.c2ln\n@@file-exit 0');
  });

  it('no keyring at all (no D-Bus session): the token file, quietly, as before', async () => {
    const dir = await mkdtemp(join(home(), 'none-'));
    const configDir = join(dir, 'config');
    await mkdir(configDir, { mode: 0o700 });
    writeSession(configDir, session);
    const result = await runProcess('node', [todoBin, 'token'], {
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      // A bus address where nothing listens: no Secret Service can answer.
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}`,
      TODO_CONFIG_DIR: configDir,
      TODO_ISSUER: ISSUER,
    });
    expect(result).toEqual({ code: 0, out: `${session.accessToken}\n`, err: '' });
  });
});
