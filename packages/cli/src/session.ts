import type { Refusal } from './api/refusal.js';
import { CliError } from './errors.js';
import { discover, type ProviderMetadata } from './oidc/discovery.js';
import { DpopKey } from './oidc/dpop.js';
import { describeOAuthError } from './oidc/http.js';
import { refresh, type TokenResponse } from './oidc/tokens.js';
import { SessionStorage } from './session-storage.js';
import { withRefreshLock } from './store/refresh-lock.js';
import { type StoredSession, sessionKey } from './store/types.js';

/** Refresh this long before `exp`, so a token never expires on its way to the API. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * How long before its expiry a session's access token is refreshed: 30 s, but never more than a
 * quarter of the token's lifetime (`expires_in`, RFC 6749 §5.1). A token of 30 s or less would
 * otherwise be due for a refresh as soon as it is issued, and refreshed before every request;
 * a quarter keeps a 20 s token in use for 15 s and still leaves it 5 s to reach the API. A
 * session stored without its lifetime (by an earlier version) keeps the 30 s until its next
 * refresh stores it.
 */
export function refreshMarginMs(session: Pick<StoredSession, 'lifetimeMs'>): number {
  const { lifetimeMs } = session;
  const known = typeof lifetimeMs === 'number' && Number.isFinite(lifetimeMs) && lifetimeMs > 0;
  return known ? Math.min(REFRESH_MARGIN_MS, lifetimeMs / 4) : REFRESH_MARGIN_MS;
}

/** An access token and, for a DPoP-bound one, the key that signs its proofs (RFC 9449 §7). */
export interface Credentials {
  readonly accessToken: string;
  readonly dpop?: DpopKey;
}

/**
 * The signed-in session of one issuer and client: where it is kept ({@link SessionStorage}), and
 * fresh tokens. A `signal` given to a request's steps (discovery, the refresh lock, the refresh)
 * ends them when the request is given up, so nothing of it goes on waiting.
 */
export class Session extends SessionStorage {
  private metadataPromise?: Promise<ProviderMetadata>;

  /** The provider's metadata, loaded once; a load that failed or was given up is tried anew. */
  metadata(signal?: AbortSignal): Promise<ProviderMetadata> {
    this.metadataPromise ??= discover(this.io.fetch, this.settings.issuer, signal).catch((e) => {
      this.metadataPromise = undefined;
      throw e;
    });
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
   * Runs `work` while no other `todo` command changes this folder's sessions: every refresh,
   * sign-in and sign-out holds the lock while it reads and writes the store, so a refresh that
   * answers late cannot bring back a session signed out meanwhile, nor overwrite a new sign-in.
   */
  exclusive<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRefreshLock(this.settings.configDir, work, signal);
  }

  /**
   * A valid access token, with the DPoP key it is bound to if it is: the stored one, or a
   * silently refreshed one when it expires within its margin ({@link refreshMarginMs}) or is
   * `refused` (the API answered 401 to it). A session without a refresh token keeps its access token until it expires, margin or
   * not. The refresh happens under a lock shared by every `todo` command, after reading the store
   * again: a command that waited finds the tokens the other one stored and uses them instead of
   * redeeming a refresh token already used. `signal` gives up the wait for the lock and the
   * refresh.
   */
  async credentials(refused?: Refusal, signal?: AbortSignal): Promise<Credentials> {
    // RFC 6749 §5.1: the refresh token is optional (OpenID Connect Core §11: a provider may
    // grant offline_access only with prompt=consent), and `expires_in` is the access token's
    // lifetime: with nothing to refresh with, the margin has no use, and the token serves on.
    const usable = (s: StoredSession) =>
      s.accessToken !== refused?.accessToken &&
      s.expiresAt - (s.refreshToken === undefined ? 0 : refreshMarginMs(s)) > this.io.now();
    const withKey = (s: StoredSession): Credentials => {
      const dpop = this.dpopKeyOf(s);
      return { accessToken: s.accessToken, ...(dpop === undefined ? {} : { dpop }) };
    };
    const stored = this.signedIn();
    if (usable(stored)) return withKey(stored);
    return this.exclusive(async () => {
      const current = this.signedIn();
      if (usable(current)) return withKey(current);
      return withKey(await this.refreshed(current, refused, signal));
    }, signal);
  }

  private signedIn(): StoredSession {
    const stored = this.load();
    if (stored !== undefined) return stored;
    const { issuer, clientId, issuerSetBy, lastLoginIssuer } = this.settings;
    const signedInAt = (at: string) => {
      try {
        return this.store.load(sessionKey(at, clientId)) !== undefined;
      } catch {
        return false; // The hint is not worth a failing keyring's error.
      }
    };
    // Issuers are compared exactly (OIDC Discovery §4.3): a trailing slash names another one.
    const other = issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`;
    if (signedInAt(other))
      throw new CliError(
        'not_signed_in',
        `Not signed in to ${issuer}, but to ${other}: issuers are compared exactly; use --issuer ${other}`,
      );
    // A flag or variable naming another provider than the last sign-in (a typo, a variable left
    // from another project) is named, rather than sending the person to sign in again.
    if (lastLoginIssuer !== undefined && lastLoginIssuer !== issuer && signedInAt(lastLoginIssuer))
      throw new CliError(
        'not_signed_in',
        `Not signed in to ${issuer} (set by ${issuerSetBy ?? '--issuer'}), but to ${lastLoginIssuer}, where the last todo login was: check ${issuerSetBy ?? '--issuer'}, or run todo login to sign in to ${issuer}`,
      );
    throw new CliError('not_signed_in', `Not signed in to ${issuer}; run todo login`);
  }

  private async refreshed(
    stored: StoredSession,
    refused?: Refusal,
    signal?: AbortSignal,
  ): Promise<StoredSession> {
    if (stored.refreshToken === undefined) throw this.unrefreshable(stored, refused);
    let fresh: TokenResponse;
    try {
      // RFC 9449 §5: a bound session's refresh token is bound to its key; the proof is by it.
      fresh = await refresh(
        this.io,
        await this.metadata(signal),
        this.settings.clientId,
        stored.refreshToken,
        this.dpopKeyOf(stored),
        signal,
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

  /**
   * Why a session without a refresh token has no usable access token: it expired, or the API
   * refused it while it was valid, and then it says what the API said (`error` and
   * `error_description` of its challenge, RFC 6750 §3), not that it expired.
   */
  private unrefreshable(stored: StoredSession, refused?: Refusal): CliError {
    if (refused?.accessToken !== stored.accessToken || stored.expiresAt <= this.io.now())
      return new CliError('session_ended', 'The access token expired; run todo login');
    const said = refused.error === undefined ? 'HTTP 401' : describeOAuthError(refused.error);
    return new CliError(
      'session_ended',
      `The API refused the access token (${said}), and there is no refresh token to get another; run todo login`,
    );
  }
}
