import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/**
 * For the tests that run `todo` as a separate process against a real GNOME Keyring over D-Bus:
 * the built executable, whether the machine has the tools, and one D-Bus session per script.
 */

/** The built `todo` executable. */
export const todoBin = fileURLToPath(new URL('../../bin/todo.js', import.meta.url));

/**
 * The keyring binding `todo` uses, for a script to put a session in the keyring as `todo`
 * would.
 */
export const keyringBinding = createRequire(import.meta.url).resolve('@napi-rs/keyring');

/** Whether every one of `commands` is on PATH. */
export function haveCommands(...commands: string[]): boolean {
  return commands.every((command) => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/** GNOME Keyring's secrets component started, unlocked with a throw-away password. */
const UNLOCK_KEYRING =
  'printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1';

/**
 * A script line that stores $SESSION in the keyring under $TODO_ISSUER as `todo login` does,
 * through the binding at $BINDING (set it to `keyringBinding`).
 */
export const PUT_SESSION_IN_KEYRING = `node -e 'const { Entry } = require(process.env.BINDING); new Entry("todo-sso", "todo-cli@" + process.env.TODO_ISSUER).setPassword(process.env.SESSION)'`;

export interface ProcessResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `command` with PATH and `env` only, collecting what it prints; `onErr` is told all of
 * stderr so far after every piece of it.
 */
export function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  onErr?: (errSoFar: string) => void,
): Promise<ProcessResult> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    onErr?.(err);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/**
 * Runs `script` with `shell` inside a D-Bus session of its own whose GNOME Keyring is started and
 * unlocked first, so one keyring lives for all of the script. The script sees HOME (the keyring's
 * files under `<home>/data`), $TODO_BIN, TODO_CONFIG_DIR, $BINDING (see
 * `PUT_SESSION_IN_KEYRING`) and `env`.
 */
export function inUnlockedKeyring(
  script: string,
  options: {
    home: string;
    configDir: string;
    env?: Record<string, string>;
    shell?: 'sh' | 'bash';
    onErr?: (errSoFar: string) => void;
  },
): Promise<ProcessResult> {
  return runProcess(
    'dbus-run-session',
    ['--', options.shell ?? 'sh', '-c', `${UNLOCK_KEYRING}\n${script}`],
    {
      HOME: options.home,
      XDG_DATA_HOME: join(options.home, 'data'),
      BINDING: keyringBinding,
      TODO_BIN: todoBin,
      TODO_CONFIG_DIR: options.configDir,
      ...options.env,
    },
    options.onErr,
  );
}

/**
 * A fresh temporary folder for the tests of the enclosing `describe` (HOME for the keyring and
 * `todo`), removed after them; call the returned function in a test to get its path.
 */
export function tempHome(prefix: string): () => string {
  let home: string | undefined;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });
  return () => {
    if (home === undefined) throw new Error('tempHome is read only inside a test');
    return home;
  };
}
