import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '@playwright/test';
import { OTP_LOOK_AHEAD_WINDOW } from './stack.js';

/**
 * The development realm's authenticator key of `admin` (base32, docs/step-up.md): a published
 * development secret, never for a realm real people use.
 */
export const ADMIN_OTP_SECRET = 'MRSXM33ONR4WCZDNNFXG65DQNNSXSMJS';

const STEP_MS = 30_000;

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => Number.parseInt(b, 2)));
}

/** RFC 6238 TOTP for time step `step` (HMAC-SHA1, 6 digits, RFC 4226 §5.3 truncation). */
export function totp(key: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = (mac[mac.length - 1] as number) & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Where the last time step used with an IdP is kept, so a restarted worker knows it too. */
function ledgerOf(issuer: string): string {
  return join(tmpdir(), `todo-sso-e2e-otp-${new URL(issuer).port}.json`);
}

/**
 * A code of `admin`'s authenticator that the IdP at `issuer` will accept now. The test stacks'
 * realm accepts {@link OTP_LOOK_AHEAD_WINDOW} time steps either side of now
 * (`otpPolicyLookAheadWindow`) and never a step at or before one already used
 * (`otpPolicyCodeReusable` false, RFC 6238 §5.2), so scenarios that follow each other quickly
 * take the next step, and wait for it when it is still too far ahead. A refused code would count
 * as a failed sign-in: never guess.
 */
export async function nextAdminCode(issuer: string): Promise<string> {
  const ledger = ledgerOf(issuer);
  const last = existsSync(ledger) ? Number(readFileSync(ledger, 'utf8')) : Number.NEGATIVE_INFINITY;
  const now = Math.floor(Date.now() / STEP_MS);
  const step = Math.max(now, last + 1);
  // Accepted while step ≤ current step + window: wait until that step is within the window.
  const waitMs = (step - OTP_LOOK_AHEAD_WINDOW) * STEP_MS - Date.now();
  if (waitMs > 0) {
    // Up to a whole step (30 s) of waiting for the authenticator's clock, and a scenario may
    // need two codes: that wait is added to the running test's time limit rather than eating
    // into what its steps have, so a busy machine cannot push a step-up scenario over it.
    test.info().setTimeout(test.info().timeout + waitMs + 250);
    await new Promise((resolve) => setTimeout(resolve, waitMs + 250));
  }
  writeFileSync(ledger, String(step));
  return totp(base32Decode(ADMIN_OTP_SECRET), step);
}
