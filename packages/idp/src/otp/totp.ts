import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** Keycloak's names for the HMAC of an OTP policy or credential. */
export type OtpAlgorithm = 'HmacSHA1' | 'HmacSHA256' | 'HmacSHA512';

export const OTP_ALGORITHMS: readonly OtpAlgorithm[] = ['HmacSHA1', 'HmacSHA256', 'HmacSHA512'];

const HASH: Record<OtpAlgorithm, string> = {
  HmacSHA1: 'sha1',
  HmacSHA256: 'sha256',
  HmacSHA512: 'sha512',
};

/** The parameters of one TOTP credential (RFC 6238 §4): hash, code length, time step. */
export interface TotpParameters {
  algorithm: OtpAlgorithm;
  digits: number;
  /** Time step X in seconds. */
  period: number;
}

/**
 * HOTP (RFC 4226 §5.3): HMAC of the 8-byte big-endian counter, dynamic truncation, modulo
 * 10^digits, left-padded with zeros.
 */
export function hotp(key: Buffer, counter: number, algorithm: OtpAlgorithm, digits: number) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HASH[algorithm], key).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time-step counter T = floor(unix time / X) of RFC 6238 §4.2 (T0 = 0). */
export function timeStep(period: number, nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The TOTP code (RFC 6238 §4.2) for `nowMs`. */
export function totp(key: Buffer, params: TotpParameters, nowMs = Date.now()): string {
  return hotp(key, timeStep(params.period, nowMs), params.algorithm, params.digits);
}

/**
 * Checks a code against the time steps within `lookAround` of now (RFC 6238 §5.2's allowance
 * for clock drift; Keycloak's `otpPolicyLookAheadWindow` counts both ways). Returns the matched
 * time step, so that a caller can refuse a code used before, or `undefined`.
 */
export function matchTotp(
  key: Buffer,
  code: string,
  params: TotpParameters,
  lookAround: number,
  nowMs = Date.now(),
): number | undefined {
  if (!/^\d+$/.test(code) || code.length !== params.digits) return undefined;
  const now = timeStep(params.period, nowMs);
  const given = Buffer.from(code);
  let matched: number | undefined;
  // Every candidate is compared in constant time, and all of them, so the time taken does not
  // tell which step matched.
  for (let step = now - lookAround; step <= now + lookAround; step++) {
    const expected = Buffer.from(hotp(key, step, params.algorithm, params.digits));
    if (timingSafeEqual(expected, given) && matched === undefined) matched = step;
  }
  return matched;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32 without padding (the form authenticator apps take in `otpauth://`). */
export function base32Encode(data: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 §6 base32, case- and padding-insensitive; `undefined` for anything else. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/=+$/, '').replace(/\s/g, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A new OTP secret as Keycloak makes one: 20 random letters and digits, whose UTF-8 bytes are
 * the HMAC key (160 bits of storage, RFC 4226 §4 R6's recommended key length).
 */
export function generateOtpSecret(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/**
 * The `otpauth://totp/…` URI authenticator apps scan (Google Authenticator's key URI format,
 * which Keycloak's QR code carries): label `realm:username`, base32 secret, issuer and parameters.
 */
export function otpauthUri(opts: {
  issuer: string;
  account: string;
  key: Buffer;
  params: TotpParameters;
}): string {
  const label = `${encodeURIComponent(opts.issuer)}:${encodeURIComponent(opts.account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(opts.key),
    digits: String(opts.params.digits),
    algorithm: opts.params.algorithm.replace('Hmac', ''),
    issuer: opts.issuer,
    period: String(opts.params.period),
  });
  return `otpauth://totp/${label}?${query}`;
}
