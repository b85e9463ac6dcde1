import type { Io } from './io.js';
import type { TokenResponse } from './oidc/tokens.js';
import type { Settings } from './settings.js';
import { FileStore, UnreadableSessionsFile } from './store/file-store.js';
import { KeyringFailure } from './store/keyring-store.js';
import { type OpenedStore, openStore } from './store/open-store.js';
import { type StoredSession, sessionKey, type TokenStore } from './store/types.js';

/**
 * Where the session of one issuer and client is kept: the store chosen (the keyring or the token
 * file), the token file beside a keyring that may hold it all the same, and the fallback to that
 * file when the keyring refuses the tokens. {@link Session} adds fresh tokens on top.
 */
export class SessionStorage {
  private opened?: OpenedStore;
  readonly key: string;

  constructor(
    protected readonly io: Io,
    readonly settings: Settings,
  ) {
    this.key = sessionKey(settings.issuer, settings.clientId);
  }

  /** The store in use, opened once. */
  get store(): TokenStore {
    this.opened ??= openStore(this.settings.store, this.settings.configDir);
    return this.opened.store;
  }

  /** Why the keyring is not used, when it is not. */
  get keyringUnavailable(): string | undefined {
    void this.store;
    return this.opened?.keyringUnavailable;
  }

  /**
   * The token file, when the keyring is in use by choice of `auto`: a session may be there all
   * the same — the keyring refused it at sign-in (the Windows Credential Manager keeps at most
   * 2560 bytes) or it was stored with TODO_TOKEN_STORE=file.
   */
  private fileBesideKeyring(): FileStore | undefined {
    return this.settings.store === 'auto' && this.store.kind === 'keyring'
      ? new FileStore(this.settings.configDir)
      : undefined;
  }

  /**
   * Reads the store once, so that a store that cannot be read (an unreadable token file, a
   * keyring that fails) stops a sign-in before its device flow, not after the person approved.
   */
  check(): void {
    this.store.load(this.key);
  }

  load(): StoredSession | undefined {
    const stored = this.store.load(this.key);
    if (stored !== undefined) return stored;
    const file = this.fileBesideKeyring();
    let kept: StoredSession | undefined;
    try {
      kept = file?.load(this.key);
    } catch (e) {
      // A token file that is not private is not used (readPrivateFile): no session there. One
      // that is not a JSON object is no reason to stop a command that uses the keyring either,
      // but it may hold this session: that is said once, with the way to set it aside.
      if (e instanceof UnreadableSessionsFile) this.warnUnreadable(e);
    }
    if (file === undefined || kept === undefined) return undefined;
    // This session lives in the file: refreshes are kept there and sign-out removes it there.
    this.opened = { store: file, keyringUnavailable: 'the session is kept in the file' };
    return kept;
  }

  private warnedUnreadable = false;

  private warnUnreadable(e: UnreadableSessionsFile): void {
    if (this.warnedUnreadable) return;
    this.warnedUnreadable = true;
    this.io.err(
      `Warning: ${e.store.path} cannot be read (${e.why}), so a session kept in it is not used; nothing in it was changed. todo logout sets it aside.`,
    );
  }

  /**
   * With the keyring in use (`auto`), moves an unreadable token file beside it aside (see
   * `FileStore.setAside`) and says from where to where; undefined when there is none. A
   * token-file user's unreadable file is set aside by `todo logout` itself, when it stops it.
   */
  setAsideUnreadableFileBesideKeyring(now: number): { from: string; to: string } | undefined {
    const file = this.fileBesideKeyring();
    if (file === undefined) return undefined;
    try {
      file.load(this.key);
    } catch (e) {
      if (e instanceof UnreadableSessionsFile) return { from: file.path, to: file.setAside(now) };
    }
    return undefined;
  }

  /** Keeps tokens; a keyring that refuses them (too large, locked) falls back to the file. */
  save(tokens: TokenResponse): TokenStore {
    const session: StoredSession = {
      issuer: this.settings.issuer,
      clientId: this.settings.clientId,
      ...tokens,
    };
    try {
      this.store.save(this.key, session);
      return this.store;
    } catch (e) {
      if (this.store.kind !== 'keyring' || this.settings.store === 'keyring') throw e;
      const file = new FileStore(this.settings.configDir);
      const reason = e instanceof KeyringFailure ? e.reason : (e as Error).message;
      this.io.err(`The keyring refused the tokens (${reason}); using ${file.description}`);
      file.save(this.key, session);
      // An older session's entry would be read before the file: it goes.
      this.store.remove(this.key);
      this.opened = { store: file, keyringUnavailable: reason };
      return file;
    }
  }

  /** Forgets the session wherever it is kept: the store in use, and the file beside a keyring. */
  remove(): boolean {
    const removed = this.store.remove(this.key);
    let alsoInFile = false;
    try {
      alsoInFile = this.fileBesideKeyring()?.remove(this.key) ?? false;
    } catch {
      // A token file that is not private was never used (see load).
    }
    return removed || alsoInFile;
  }
}
