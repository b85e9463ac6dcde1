import { type OtpCredential, type OtpPolicy, otpKey } from '../realm/otp.js';
import type { RealmUser } from '../realm/types.js';
import { matchTotp, type TotpParameters, totp } from './totp.js';

/**
 * Checks OTP codes against a user's credentials with the realm's policy: the credential's own
 * algorithm, digits and period, the policy's look-around window, and — unless the policy says
 * codes are reusable (Keycloak's `otpPolicyCodeReusable`, default false) — a code already used
 * for that credential is refused (RFC 6238 §5.2: a verifier must not accept the second attempt
 * of the same OTP after the first succeeded).
 */
export class OtpVerifier {
  readonly #policy: OtpPolicy;
  /** Last accepted time step per credential id. */
  readonly #used = new Map<string, number>();

  constructor(policy: OtpPolicy) {
    this.#policy = policy;
  }

  /** Whether `code` is a current code of one of the user's credentials; marks it used. */
  verify(user: RealmUser, code: string, nowMs = Date.now()): boolean {
    return user.otp.some((credential) =>
      this.#accept(credential.id, otpKey(credential), credential.params, code, nowMs),
    );
  }

  /** Checks the first code of a credential being enrolled (its id not yet stored). */
  verifyNew(id: string, key: Buffer, params: TotpParameters, code: string, nowMs = Date.now()) {
    return this.#accept(id, key, params, code, nowMs);
  }

  /** The current code of the user's first credential (shown on development pages only). */
  currentCode(user: RealmUser, nowMs = Date.now()): string | undefined {
    const credential: OtpCredential | undefined = user.otp[0];
    return credential ? totp(otpKey(credential), credential.params, nowMs) : undefined;
  }

  #accept(id: string, key: Buffer, params: TotpParameters, code: string, nowMs: number): boolean {
    const step = matchTotp(key, code.trim(), params, this.#policy.lookAheadWindow, nowMs);
    if (step === undefined) return false;
    if (!this.#policy.codeReusable) {
      const last = this.#used.get(id);
      if (last !== undefined && step <= last) return false;
      this.#used.set(id, step);
    }
    return true;
  }
}
