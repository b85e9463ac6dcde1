import { CliError } from './errors.js';
import type { Io } from './io.js';
import { discover, type ProviderMetadata } from './oidc/discovery.js';
import { DpopKey } from './oidc/dpop.js';
import { refresh, type TokenResponse } from './oidc/tokens.js';
import type { Settings } from './settings.js';
import { FileStore, UnreadableSessionsFile } from './store/file-store.js';
import { KeyringFailure } from './store/keyring-store.js';
import { type OpenedStore, openStore } from './store/open-store.js';
import { withRefreshLock } from './store/refresh-lock.js';
import { type StoredSession, sessionKey, type TokenStore } from './store/types.js';

/** Refresh this long before `exp`, so a token never expires on its way to the API. */
const REFRESH_MARGIN_MS = 30_000;

/** An access token and, for a DPoP-bound one, the key that signs its proofs (RFC 9449 §7). */
export interface Credentials {
  readonly accessToken: string;
  readonly dpop?: DpopKey;
}

/** The signed-in session of one issuer and client: where it is kept, and fresh tokens. */
export class Session {
  private opened?: OpenedStore;
  private metadataPromise?: Promise<ProviderMetadata>;
  readonly key: string;

  constructor(
    private readonly io: Io,
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

  metadata(): Promise<ProviderMetadata> {
    this.metadataPromise ??= discover(this.io.fetch, this.settings.issuer);
    return this.metadataPromise;
  }

  /** The DPoP keys of this run, by the stored key's thumbprint: one per session, nonces kept. */
  private readonly dpopKeys = new Map<string, DpopKey>();

  /** The key `stored` is bound to, for its sign-out; undefined when there is none or it is unusable. */
  dpopKeyForSignOut(stored: StoredSession): DpopKey | undefined {
    try {
      return this.dpopKeyOf(stored);
    } catch {
      return undefined;
    }
  }

  private dpopKeyOf(stored: StoredSession): DpopKey | undefined {
    if (stored.dpopKey === undefined) return undefined;
    const key = DpopKey.fromJwk(stored.dpopKey);
    const known = this.dpopKeys.get(key.thumbprint());
    if (known !== undefined) return known;
    this.dpopKeys.set(key.thumbprint(), key);
    return key;
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

  /**
   * Runs `work` while no other `todo` command changes this folder's sessions: every refresh,
   * sign-in and sign-out holds the lock while it reads and writes the store, so a refresh that
   * answers late cannot bring back a session signed out meanwhile, nor overwrite a new sign-in.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return withRefreshLock(this.settings.configDir, work);
  }

  /**
   * A valid access token, with the DPoP key it is bound to if it is: the stored one, or a
   * silently refreshed one when it expires within 30 s or is `refused` (the API answered 401 to
   * it). The refresh happens under a lock shared by every `todo` command, after reading the store
   * again: a command that waited finds the tokens the other one stored and uses them instead of
   * redeeming a refresh token already used.
   */
  async credentials(refused?: string): Promise<Credentials> {
    const usable = (s: StoredSession) =>
      s.accessToken !== refused && s.expiresAt - REFRESH_MARGIN_MS > this.io.now();
    const withKey = (s: StoredSession): Credentials => {
      const dpop = this.dpopKeyOf(s);
      return { accessToken: s.accessToken, ...(dpop === undefined ? {} : { dpop }) };
    };
    const stored = this.signedIn();
    if (usable(stored)) return withKey(stored);
    return this.exclusive(async () => {
      const current = this.signedIn();
      if (usable(current)) return withKey(current);
      return withKey(await this.refreshed(current));
    });
  }

  private signedIn(): StoredSession {
    const stored = this.load();
    if (stored !== undefined) return stored;
    const { issuer, clientId } = this.settings;
    // Issuers are compared exactly (OIDC Discovery §4.3): a trailing slash names another one.
    const other = issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`;
    let there = false;
    try {
      there = this.store.load(sessionKey(other, clientId)) !== undefined;
    } catch {} // The hint is not worth a failing keyring's error.
    throw new CliError(
      'not_signed_in',
      there
        ? `Not signed in to ${issuer}, but to ${other}: issuers are compared exactly; use --issuer ${other}`
        : `Not signed in to ${issuer}; run todo login`,
    );
  }

  private async refreshed(stored: StoredSession): Promise<StoredSession> {
    if (stored.refreshToken === undefined)
      throw new CliError('session_ended', 'The access token expired; run todo login');
    let fresh: TokenResponse;
    try {
      // RFC 9449 §5: a bound session's refresh token is bound to its key; the proof is by it.
      fresh = await refresh(
        this.io,
        await this.metadata(),
        this.settings.clientId,
        stored.refreshToken,
        this.dpopKeyOf(stored),
      );
    } catch (e) {
      if (e instanceof CliError && e.code === 'session_ended') this.remove();
      throw e;
    }
    // A provider that does not rotate refresh tokens keeps the old one valid (RFC 6749 §6).
    const tokens: TokenResponse = {
      ...fresh,
      ...(fresh.refreshToken === undefined ? { refreshToken: stored.refreshToken } : {}),
      ...(fresh.idToken === undefined && stored.idToken !== undefined
        ? { idToken: stored.idToken }
        : {}),
    };
    this.save(tokens);
    return { issuer: stored.issuer, clientId: stored.clientId, ...tokens };
  }
}
