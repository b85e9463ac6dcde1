import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveDeviceCode } from './support/browser.js';
import { haveCommands, inUnlockedKeyring, tempHome } from './support/keyring.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * The keyring path for real on Linux: a D-Bus session with GNOME Keyring's Secret Service
 * (unlocked with a throw-away password), `todo` as a separate process using it, and libsecret's
 * own `secret-tool` reading what `todo` stored. Needs dbus-run-session, gnome-keyring-daemon and
 * secret-tool (Debian: dbus, gnome-keyring, libsecret-tools); REQUIRE_KEYRING=1 makes their
 * absence a failure instead of a skip.
 */
const available = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'secret-tool');
if (!available && process.env.REQUIRE_KEYRING === '1')
  throw new Error(
    'REQUIRE_KEYRING=1 but dbus-run-session, gnome-keyring-daemon or secret-tool is missing',
  );

/** Everything below runs inside one D-Bus session, so the keyring lives for the whole script. */
const SCRIPT = `
set -e
todo() { node "$TODO_BIN" "$@"; }
summary() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(Object.keys(j).sort().join(","), j.issuer)})'; }
todo login
echo "@@stored $(secret-tool lookup service todo-sso username "todo-cli@$TODO_ISSUER" | summary)"
todo add Kept in the keyring
todo ls
todo logout
secret-tool lookup service todo-sso username "todo-cli@$TODO_ISSUER" >/dev/null 2>&1 || echo "@@gone"
`;

describe.skipIf(!available)(
  'todo with the Secret Service keyring (GNOME Keyring over D-Bus)',
  () => {
    const home = tempHome('todo-keyring-');
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('keeps the session in the keyring, not in a file, and removes it on logout', async () => {
      const configDir = join(home(), 'config');
      let approving: Promise<string> | undefined;
      const { code, out, err } = await inUnlockedKeyring(SCRIPT, {
        home: home(),
        configDir,
        env: { TODO_ISSUER: stack.issuer, TODO_API_URL: stack.apiUrl },
        shell: 'bash',
        // The person approves the device code the CLI shows while it polls.
        onErr: (errSoFar) => {
          const url = /\(or open (\S+)\)/.exec(errSoFar)?.[1];
          if (url !== undefined && approving === undefined)
            approving = approveDeviceCode(url, 'bob');
        },
      });
      await approving;
      expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
      expect(out).toContain(
        `Signed in as bob at ${stack.issuer}; tokens are in the system keyring (service "todo-sso").`,
      );
      expect(out).toContain(
        `@@stored accessToken,clientId,expiresAt,idToken,issuer,lifetimeMs,refreshToken ${stack.issuer}`,
      );
      expect(out).toMatch(/^[0-9a-f]{8}\s+\d{4}-\d{2}-\d{2}\s+Kept in the keyring$/m);
      expect(out).toContain('Signed out: the session at the identity provider has ended.');
      expect(out).toContain('@@gone');
      expect(err).not.toContain('No usable keyring');
      expect(existsSync(join(configDir, 'sessions.json'))).toBe(false);
    });
  },
);
