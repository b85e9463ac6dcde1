import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  haveCommands,
  inUnlockedKeyring,
  PUT_SESSION_IN_KEYRING,
  tempHome,
} from './support/keyring.js';

/**
 * With the keyring in use, the token file beside it is read only as a fallback (a session the
 * keyring refused at sign-in, or one stored with TODO_TOKEN_STORE=file). A `sessions.json` there
 * that is not a JSON object stops nothing: the keyring's session is used, the file is named in a
 * warning (once) with `todo logout` as the way to set it aside, and `todo logout` does so. A
 * token-file user still gets the refusal (sessions-file-unreadable.test.ts). Real GNOME Keyring
 * over D-Bus, `todo` as a separate process (skipped without them, like keyring.test.ts).
 */
const available = haveCommands('dbus-run-session', 'gnome-keyring-daemon');

// Nothing listens at either: no command here needs the provider or the API to answer.
const IN_KEYRING = 'http://127.0.0.1:9/realms/todo-app';
const ELSEWHERE = 'http://127.0.0.1:9/realms/other';

const SCRIPT = `
${PUT_SESSION_IN_KEYRING}
todo() { node "$TODO_BIN" "$@"; echo "exit $?"; }
step() { echo "@@$1"; echo "@@$1" >&2; }
step token; todo token
step elsewhere; TODO_ISSUER="$ELSEWHERE" todo token
step logout; todo logout
step after; todo token
`;

describe.skipIf(!available)('an unreadable sessions.json beside a working keyring', () => {
  const home = tempHome('todo-keyring-unreadable-');

  it('stops no command: a warning names it and todo logout, which sets it aside', async () => {
    const configDir = join(home(), 'config');
    await mkdir(configDir, { mode: 0o700 });
    const file = join(configDir, 'sessions.json');
    const text = '{"todo-cli@https://cut.example": {"accessToken": "x"';
    await writeFile(file, text, { mode: 0o600 });
    const session = {
      issuer: IN_KEYRING,
      clientId: 'todo-cli',
      accessToken: 'eyJhbGciOi.kept-in-the-keyring.c2lnbmF0dXJl',
      refreshToken: 'eyJhbGciOi.refresh.c2lnbmF0dXJl',
      expiresAt: Date.now() + 3_600_000,
    };
    const { out, err } = await inUnlockedKeyring(SCRIPT, {
      home: home(),
      configDir,
      env: { SESSION: JSON.stringify(session), TODO_ISSUER: IN_KEYRING, ELSEWHERE },
    });
    const warning = `Warning: ${file} cannot be read (it is not JSON), so a session kept in it is not used; nothing in it was changed. todo logout sets it aside.`;
    /** What each step printed, without D-Bus's own chatter on stderr. */
    const steps = (text: string) =>
      text
        .split(/@@(?:token|elsewhere|logout|after)\n/)
        .slice(1)
        .map((part) =>
          part
            .split('\n')
            .filter((line) => /^(todo|Warning|exit|Signed|Not|eyJ)/.test(line))
            .join('\n'),
        );
    const [token, elsewhere, logout, after] = steps(out);
    const [tokenErr, elsewhereErr, logoutErr, afterErr] = steps(err);

    // The keyring's session is used; the file is not even read for it.
    expect([token, tokenErr]).toEqual([`${session.accessToken}\nexit 0`, '']);
    // No session in the keyring: the file is where it could be, and it cannot be read. Before,
    // this said only "Not signed in", as if the file were not there.
    expect([elsewhere, elsewhereErr]).toEqual([
      'exit 1',
      `${warning}\ntodo token: Not signed in to ${ELSEWHERE}; run todo login`,
    ]);
    // todo logout signs the keyring's session out and sets the file aside.
    const [aside, ...others] = (await readdir(configDir)).filter((n) =>
      n.startsWith('sessions.json.unreadable-'),
    );
    expect(others).toEqual([]);
    expect(aside).toBeDefined();
    const kept = join(configDir, aside ?? '');
    expect(logoutErr).toBe(
      `todo logout: ${file} could not be read, so no session in it was ended at the identity provider; it was kept as ${kept} (mode 0600). Remove that file once nothing in it is needed.`,
    );
    expect(logout).toBe(
      'Signed out locally: the identity provider could not be reached, so its session may still be open.\nexit 0',
    );
    expect(await readFile(kept, 'utf8')).toBe(text);
    expect([after, afterErr]).toEqual([
      'exit 1',
      `todo token: Not signed in to ${IN_KEYRING}; run todo login`,
    ]);
  });
});
