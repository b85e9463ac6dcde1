import type { DpopKeyJwk } from '../oidc/dpop.js';

/** What is kept between runs for one issuer and client. Secret: never printed, never logged. */
export interface StoredSession {
  readonly issuer: string;
  readonly clientId: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch milliseconds at which the access token expires. */
  readonly expiresAt: number;
  /**
   * The access token's lifetime in milliseconds (`expires_in`, RFC 6749 §5.1), which bounds how
   * early it is refreshed; absent from sessions stored before it was kept.
   */
  readonly lifetimeMs?: number;
  /** The private DPoP key the tokens are bound to (RFC 9449), one per sign-in; absent for bearer tokens. */
  readonly dpopKey?: DpopKeyJwk;
}

/** A place for sessions: the OS keyring or a file only the user can read. */
export interface TokenStore {
  /** `keyring` or `file`, and where, for people to see. */
  readonly kind: 'keyring' | 'file';
  readonly description: string;
  load(key: string): StoredSession | undefined;
  save(key: string, session: StoredSession): void;
  remove(key: string): boolean;
}

/** The store key of a session: one per issuer and client. */
export function sessionKey(issuer: string, clientId: string): string {
  return `${clientId}@${issuer}`;
}
