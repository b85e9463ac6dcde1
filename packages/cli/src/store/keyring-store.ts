import { createRequire } from 'node:module';
import { CliError } from '../errors.js';
import type { StoredSession, TokenStore } from './types.js';

/** The part of `@napi-rs/keyring` used here. */
export interface KeyringEntry {
  getPassword(): string | null;
  setPassword(password: string): void;
  deletePassword(): boolean;
}
/** `options.linux.store` pins an entry to one Linux store; the constructor throws when it is absent. */
export type EntryClass = new (
  service: string,
  account: string,
  options?: { linux?: { store?: 'secret-service' | 'keyutils' } },
) => KeyringEntry;

const SERVICE = 'todo-sso';

/**
 * The keyring failed while reading or writing a session (a locked collection, a Secret Service
 * gone from D-Bus). `reason` is the keyring's own words, never the secret being written.
 */
export class KeyringFailure extends CliError {
  constructor(
    doing: 'open' | 'read' | 'store',
    readonly reason: string,
  ) {
    super(
      'usage',
      `The system keyring (service "${SERVICE}") could not ${doing === 'open' ? 'be opened' : doing === 'read' ? 'be read' : 'store the tokens'}: ${reason}. Unlock the keyring and try again, or set TODO_TOKEN_STORE=file to keep the tokens in a file of your own (mode 0600) instead.`,
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
 * Whether a keyring is there, after the check failed. The macOS Keychain and the Windows
 * Credential Manager always are: a failure there is the keyring's (a locked keychain over SSH).
 * On Linux the binding uses the Secret Service and, when none answers on D-Bus, the kernel
 * keyring; a machine without a Secret Service (no D-Bus session, headless CI) has no keyring
 * worth reporting, and the binding's Secret Service entry, pinned, throws when it is built there.
 * Where it can be built, a Secret Service answered and failed: locked, or its prompt dismissed.
 */
function keyringIsThere(Entry: EntryClass, platform: NodeJS.Platform): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  if (platform !== 'linux') return false;
  try {
    new Entry(SERVICE, '__probe__', { linux: { store: 'secret-service' } });
    return true;
  } catch {
    return false;
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
   * A keyring store when the keyring answers, else undefined with the reason, and `present` when
   * a keyring is there but failed the check (a locked collection): that is reported, not taken
   * for a machine without a keyring. `Entry` is the binding's entry class and `platform` the
   * operating system (tests give an entry class that fails like a locked keyring).
   */
  static open(
    Entry: EntryClass | undefined = loadEntryClass(),
    platform: NodeJS.Platform = process.platform,
  ): {
    store?: KeyringStore;
    reason?: string;
    present?: boolean;
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
      return { reason: reasonOf(e), present: keyringIsThere(Entry, platform) };
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
      const { accessToken, refreshToken, idToken, dpopKey } = session;
      throw new KeyringFailure(
        'store',
        reasonOf(e, [secret, accessToken, refreshToken, idToken, dpopKey?.d]),
      );
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
