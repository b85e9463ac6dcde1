import { createHmac } from 'node:crypto';

/**
 * The development realm's authenticator key of `admin` (base32, see docs/step-up.md). It is a
 * published development secret: never import the development realm where real people sign in.
 */
export const ADMIN_OTP_SECRET = 'MRSXM33ONR4WCZDNNFXG65DQNNSXSMJS';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding. */
export function base32Decode(text: string): Buffer {
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = BASE32.indexOf(c);
    if (value < 0) throw new TypeError(`not base32: ${c}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => Number.parseInt(b, 2)));
}

/**
 * An RFC 6238 code (HMAC-SHA1, 6 digits, 30-second steps, RFC 4226 §5.3 truncation), written
 * apart from the dev IdP's own implementation so the two check each other.
 */
export function totp(key: Buffer, nowMs = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = (mac[mac.length - 1] as number) & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * The dev realm `admin`'s current one-time code, for Keycloak's direct grant parameter `otp`:
 * tokens at `acr` mfa, as admin work needs. The IdP accepts each code once (RFC 6238 §5.2), so
 * a suite takes one such token per IdP it starts.
 */
export function adminOtp(nowMs = Date.now()): string {
  return totp(base32Decode(ADMIN_OTP_SECRET), nowMs);
}

/**
 * `username`'s access token from the IdP at `issuer` by Keycloak's direct grant (the dev realm's
 * password is the username), with the one-time code `otp` when given.
 */
export async function passwordGrantToken(
  issuer: string,
  username: string,
  otp?: string,
): Promise<string> {
  const discovery = (await (
    await fetch(`${issuer}/.well-known/openid-configuration`)
  ).json()) as Record<string, string>;
  const res = await fetch(discovery.token_endpoint ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'todo-cli',
      username,
      password: username,
      ...(otp && { otp }),
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || body.access_token === undefined)
    throw new Error(`the IdP gave ${username} no token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * An access token of the dev realm's `admin` at `acr` mfa from the IdP at `issuer`, by
 * Keycloak's direct grant with the current one-time code (`otp`), as admin work needs. One per
 * IdP a suite starts (see {@link adminOtp}).
 */
export function adminTokenWithOtp(issuer: string): Promise<string> {
  return passwordGrantToken(issuer, 'admin', adminOtp());
}
