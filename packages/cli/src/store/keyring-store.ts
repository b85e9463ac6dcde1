import { createRequire } from 'node:module';
import { CliError } from '../errors.js';
import type { StoredSession, TokenStore } from './types.js';

/** The part of `@napi-rs/keyring` used here. */
interface KeyringEntry {
  getPassword(): string | null;
  setPassword(password: string): void;
  deletePassword(): boolean;
}
type EntryClass = new (service: string, account: string) => KeyringEntry;

const SERVICE = 'todo-sso';

/**
 * The keyring failed while reading or writing a session (a locked collection, a Secret Service
 * gone from D-Bus). `reason` is the keyring's own words, never the secret being written.
 */
export class KeyringFailure extends CliError {
  constructor(
    doing: 'read' | 'store',
    readonly reason: string,
  ) {
    super(
      'usage',
      `The system keyring (service "${SERVICE}") could not ${doing === 'read' ? 'be read' : 'store the tokens'}: ${reason}. Unlock the keyring and try again, or set TODO_TOKEN_STORE=file to keep the tokens in a file of your own (mode 0600) instead.`,
    );
  }
}

/** The keyring's error message, cut short, without any of `secrets` in it. */
function reasonOf(e: unknown, secrets: readonly (string | undefined)[] = []): string {
  let text = (e instanceof Error ? e.message : String(e)).slice(0, 300);
  for (const secret of secrets)
    if (secret !== undefined && secret.length > 0) text = text.split(secret).join('…');
  return text.trim() || 'no reason given';
}

/**
 * Loads the native keyring binding. It is a prebuilt binary per platform; when none fits, or
 * the platform has no keyring service (a Linux box without a Secret Service), this is undefined.
 */
function loadEntryClass(): EntryClass | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('@napi-rs/keyring') as { Entry: EntryClass }).Entry;
  } catch {
    return undefined;
  }
}

/**
 * Sessions in the operating system's keyring (macOS Keychain, Windows Credential Manager, the
 * Secret Service on Linux: GNOME Keyring, KWallet), one entry per issuer and client.
 */
export class KeyringStore implements TokenStore {
  readonly kind = 'keyring' as const;
  readonly description = `the system keyring (service "${SERVICE}")`;

  private constructor(private readonly Entry: EntryClass) {}

  /**
   * A keyring store when the keyring answers, else undefined (with the reason). `Entry` is the
   * binding's entry class (tests give one that fails like a locked keyring).
   */
  static open(Entry: EntryClass | undefined = loadEntryClass()): {
    store?: KeyringStore;
    reason?: string;
  } {
    if (Entry === undefined) return { reason: 'no keyring binding for this platform' };
    try {
      // A write, read back and removed: some keyrings answer reads but refuse writes.
      const probe = new Entry(SERVICE, '__probe__');
      probe.setPassword('probe');
      const ok = probe.getPassword() === 'probe';
      probe.setPassword('-');
      probe.deletePassword();
      if (!ok) return { reason: 'the keyring did not return what was stored' };
      return { store: new KeyringStore(Entry) };
    } catch (e) {
      return { reason: e instanceof Error ? e.message : String(e) };
    }
  }

  load(key: string): StoredSession | undefined {
    let value: string | null;
    try {
      value = new this.Entry(SERVICE, key).getPassword();
    } catch (e) {
      throw new KeyringFailure('read', reasonOf(e));
    }
    if (value === null) return undefined;
    try {
      const session = JSON.parse(value) as Partial<StoredSession>;
      // An overwritten entry (see remove) or anything else without tokens is no session.
      return typeof session.accessToken === 'string' ? (session as StoredSession) : undefined;
    } catch {
      return undefined;
    }
  }

  save(key: string, session: StoredSession): void {
    const secret = JSON.stringify(session);
    try {
      new this.Entry(SERVICE, key).setPassword(secret);
    } catch (e) {
      // The secret is not quoted, whatever the binding put in its message.
      const { accessToken, refreshToken, idToken } = session;
      throw new KeyringFailure('store', reasonOf(e, [secret, accessToken, refreshToken, idToken]));
    }
  }

  remove(key: string): boolean {
    const entry = new this.Entry(SERVICE, key);
    try {
      if (entry.getPassword() === null) return false;
      // Overwritten first: on Linux the library may keep a copy in the kernel keyring (keyutils)
      // next to the Secret Service item, and a delete is not always applied to both.
      entry.setPassword('{}');
      return entry.deletePassword();
    } catch {
      return false;
    }
  }
}
