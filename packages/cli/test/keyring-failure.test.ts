import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { KeyringStore } from '../src/store/keyring-store.js';
import { openStore } from '../src/store/open-store.js';
import type { StoredSession } from '../src/store/types.js';

/**
 * A keyring that answers the probe when the store is opened and then fails (its collection
 * locked meanwhile, the Secret Service gone from D-Bus). The failure is the one
 * `@napi-rs/keyring` throws for a locked GNOME Keyring collection without a display to prompt
 * on; the entry class stands in for the binding's, everything else is the real store.
 */
const LOCKED = "Couldn't access platform storage: Secret Service: unlock prompt was dismissed";

function keyring(fail: (account: string, password?: string) => Error | undefined) {
  const items = new Map<string, string>();
  return class Entry {
    constructor(
      _service: string,
      private readonly account: string,
    ) {}
    getPassword(): string | null {
      const error = fail(this.account);
      if (error) throw error;
      return items.get(this.account) ?? null;
    }
    setPassword(password: string): void {
      const error = fail(this.account, password);
      if (error) throw error;
      items.set(this.account, password);
    }
    deletePassword(): boolean {
      return items.delete(this.account);
    }
  };
}

const session: StoredSession = {
  issuer: 'https://idp.example',
  clientId: 'todo-cli',
  accessToken: 'eyJhbGciOi.access.c2lnbmF0dXJl',
  refreshToken: 'eyJhbGciOi.refresh.c2lnbmF0dXJl',
  expiresAt: 0,
};

function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('a keyring that fails after it was opened', () => {
  it('reading: a usage error naming the keyring and TODO_TOKEN_STORE=file', () => {
    const { store } = KeyringStore.open(
      keyring((account) => (account === '__probe__' ? undefined : new Error(LOCKED))),
    );
    expect(store).toBeDefined();
    const error = caught(() => store?.load('todo-cli@https://idp.example'));
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({
      code: 'usage',
      message: `The system keyring (service "todo-sso") could not be read: ${LOCKED}. Unlock the keyring and try again, or set TODO_TOKEN_STORE=file to keep the tokens in a file of your own (mode 0600) instead.`,
    });
  });

  it('storing: the same, without the tokens even when the binding quotes them', () => {
    const { store } = KeyringStore.open(
      keyring((account, password) =>
        account === '__probe__' || password === undefined
          ? undefined
          : new Error(`${LOCKED} while storing ${password}`),
      ),
    );
    const error = caught(() => store?.save('todo-cli@https://idp.example', session));
    expect(error).toBeInstanceOf(CliError);
    const { message } = error as CliError;
    expect(message).toMatch(
      /^The system keyring \(service "todo-sso"\) could not store the tokens: Couldn't access platform storage: .*TODO_TOKEN_STORE=file/,
    );
    expect(message).not.toContain(session.accessToken);
    expect(message).not.toContain(session.refreshToken);
  });
});

describe('a keyring that fails the check when the store is opened', () => {
  /** An entry class whose every use fails; `secretService` says whether a pinned one can be built. */
  function failing(secretService: boolean) {
    return class Entry {
      constructor(_service: string, _account: string, options?: { linux?: { store?: string } }) {
        if (options?.linux?.store === 'secret-service' && !secretService)
          throw new Error('Platform failure: DBus error: Failed to connect to socket');
      }
      getPassword(): string | null {
        throw new Error(LOCKED);
      }
      setPassword(): void {
        throw new Error(LOCKED);
      }
      deletePassword(): boolean {
        return false;
      }
    };
  }

  it('is there when a Secret Service answers on Linux, and always on macOS and Windows', () => {
    expect(KeyringStore.open(failing(true), 'linux')).toEqual({ reason: LOCKED, present: true });
    expect(KeyringStore.open(failing(false), 'darwin')).toMatchObject({ present: true });
    expect(KeyringStore.open(failing(false), 'win32')).toMatchObject({ present: true });
  });

  it('is no keyring on Linux without a Secret Service (the kernel keyring failed instead)', () => {
    expect(KeyringStore.open(failing(false), 'linux')).toEqual({ reason: LOCKED, present: false });
  });
});

/**
 * The binding on a Linux machine without a Secret Service: its Secret Service entry cannot be
 * built, and the default store refuses the probe. In-process, since whether a real machine has
 * a usable keyring (the kernel's, which the binding falls back to) is not the test's to choose.
 */
class NoKeyring {
  constructor(_service: string, _account: string, options?: { linux?: { store?: string } }) {
    if (options?.linux?.store === 'secret-service')
      throw new Error("Couldn't access platform storage: no Secret Service on D-Bus");
  }
  getPassword(): string | null {
    throw new Error("Couldn't access platform storage: AccessDenied");
  }
  setPassword(_password: string): void {
    throw new Error("Couldn't access platform storage: AccessDenied");
  }
  deletePassword(): boolean {
    return false;
  }
}

describe('TODO_TOKEN_STORE=keyring on a machine without a keyring', () => {
  it('refuses the file: a usage error (exit 2) saying why and what to do instead', () => {
    const error = caught(() =>
      openStore('keyring', '/nonexistent', () => KeyringStore.open(NoKeyring, 'linux')),
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      "TODO_TOKEN_STORE=keyring, but the keyring is unavailable: Couldn't access platform storage: AccessDenied. Start or unlock the system keyring (on Linux a Secret Service such as GNOME Keyring on the D-Bus session), or set TODO_TOKEN_STORE=auto or file to keep the tokens in a file of your own (mode 0600) instead.",
    );
  });

  it('with TODO_TOKEN_STORE=auto, the token file instead, saying why', () => {
    const opened = openStore('auto', '/nonexistent', () => KeyringStore.open(NoKeyring, 'linux'));
    expect(opened.store.kind).toBe('file');
    expect(opened.keyringUnavailable).toBe("Couldn't access platform storage: AccessDenied");
  });
});
