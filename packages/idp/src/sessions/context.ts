import type Provider from 'oidc-provider';
import type { ConsentStore } from '../consent/store.js';
import type { OtpVerifier } from '../otp/verifier.js';
import type { Realm, RealmUser } from '../realm/types.js';
import type { UserDirectory } from '../users/directory.js';
import type { PendingLogins } from './pending.js';

/**
 * Brute-force detection: counts failed sign-in attempts (a wrong password or OTP code), says
 * whether a user is locked out, and forgets the failures once a sign-in completes.
 */
export interface LoginGuard {
  failed(user: RealmUser): void;
  locked(user: RealmUser): boolean;
  succeeded(user: RealmUser): void;
}

/** What the sign-in pages and the password grant work with. */
export interface LoginContext {
  provider: Provider;
  realm: Realm;
  directory: UserDirectory;
  otp: OtpVerifier;
  pending: PendingLogins;
  guard: LoginGuard;
  /** What people allowed registered clients (the consent step). */
  consents: ConsentStore;
  /** Show the current OTP code on the OTP page (development realm only). */
  showDevOtp: boolean;
}
