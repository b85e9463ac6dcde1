import { CliError } from '../errors.js';
import type { StoreChoice } from '../settings.js';
import { FileStore } from './file-store.js';
import { KeyringFailure, KeyringStore } from './keyring-store.js';
import type { TokenStore } from './types.js';

/** The store to use, and why the keyring was not used when it was not. */
export interface OpenedStore {
  readonly store: TokenStore;
  readonly keyringUnavailable?: string;
}

/**
 * The OS keyring when it answers (`auto`, `keyring`), else a 0600 file (`auto`, `file`).
 * `keyring` fails instead of falling back, for people who never want tokens on disk. A keyring
 * that is there but fails its check (a locked Secret Service collection) stops `auto` too: the
 * sessions in it would look signed out, and a sign-in would leave tokens on disk unasked.
 * `openKeyring` opens the keyring (tests give one that fails as a machine without one does).
 */
export function openStore(
  choice: StoreChoice,
  dir: string,
  openKeyring: () => ReturnType<typeof KeyringStore.open> = () => KeyringStore.open(),
): OpenedStore {
  if (choice === 'file') return { store: new FileStore(dir) };
  const { store, reason, present } = openKeyring();
  if (store !== undefined) return { store };
  if (choice === 'auto' && present === true) throw new KeyringFailure('open', reason ?? 'unknown');
  if (choice === 'keyring')
    throw new CliError(
      'usage',
      `TODO_TOKEN_STORE=keyring, but the keyring is unavailable: ${reason}. Start or unlock the system keyring (on Linux a Secret Service such as GNOME Keyring on the D-Bus session), or set TODO_TOKEN_STORE=auto or file to keep the tokens in a file of your own (mode 0600) instead.`,
    );
  return { store: new FileStore(dir), keyringUnavailable: reason ?? 'unknown' };
}
