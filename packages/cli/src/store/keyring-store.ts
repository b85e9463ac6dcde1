import { createRequire } from 'node:module';
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

  /** A keyring store when the keyring answers, else undefined (with the reason). */
  static open(): { store?: KeyringStore; reason?: string } {
    const Entry = loadEntryClass();
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
    const value = new this.Entry(SERVICE, key).getPassword();
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
    new this.Entry(SERVICE, key).setPassword(JSON.stringify(session));
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
