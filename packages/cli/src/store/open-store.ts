import { CliError } from '../errors.js';
import type { StoreChoice } from '../settings.js';
import { FileStore } from './file-store.js';
import { KeyringStore } from './keyring-store.js';
import type { TokenStore } from './types.js';

/** The store to use, and why the keyring was not used when it was not. */
export interface OpenedStore {
  readonly store: TokenStore;
  readonly keyringUnavailable?: string;
}

/**
 * The OS keyring when it answers (`auto`, `keyring`), else a 0600 file (`auto`, `file`).
 * `keyring` fails instead of falling back, for people who never want tokens on disk.
 */
export function openStore(choice: StoreChoice, dir: string): OpenedStore {
  if (choice === 'file') return { store: new FileStore(dir) };
  const { store, reason } = KeyringStore.open();
  if (store !== undefined) return { store };
  if (choice === 'keyring')
    throw new CliError(
      'usage',
      `TODO_TOKEN_STORE=keyring, but the keyring is unavailable: ${reason}`,
    );
  return { store: new FileStore(dir), keyringUnavailable: reason ?? 'unknown' };
}
