import { renderSVG } from 'uqr';
import { escapeHtml } from './html.js';
import { page } from './templates.js';

function errorLine(error: string | undefined): string {
  return error ? `<p class="error" id="input-error" role="alert">${escapeHtml(error)}</p>` : '';
}

/**
 * The second step of a sign-in: the code of the user's authenticator app (Keycloak's OTP form,
 * same element ids). `devCode`, when given, is shown labelled as development only.
 */
export function otpPage(opts: {
  realm: string;
  action: string;
  username: string;
  stepUp: boolean;
  error?: string | undefined;
  devCode?: string | undefined;
}): string {
  const intro = opts.stepUp
    ? 'This needs a stronger sign-in: confirm it is you with the code from your authenticator app.'
    : 'Enter the code from your authenticator app.';
  const dev = opts.devCode
    ? `<p class="dev" id="dev-otp-code">Development only: the current code is <strong>${escapeHtml(opts.devCode)}</strong>.</p>`
    : '';
  return page(
    `Sign in to ${opts.realm}`,
    `<h1>One-time code</h1>
<p>Signed in as <strong>${escapeHtml(opts.username)}</strong>. ${escapeHtml(intro)}</p>${errorLine(opts.error)}${dev}
<form id="kc-otp-login-form" method="post" action="${escapeHtml(opts.action)}">
<label for="otp">One-time code</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" autofocus required>
<button id="kc-login" type="submit">Sign In</button>
</form>`,
  );
}

/**
 * Keycloak's `CONFIGURE_TOTP` required action: a QR code of the `otpauth://` URI, the secret in
 * text for apps that cannot scan, and a field for the first code (same element ids as Keycloak).
 */
export function configureTotpPage(opts: {
  realm: string;
  action: string;
  username: string;
  uri: string;
  secretBase32: string;
  digits: number;
  period: number;
  algorithm: string;
  error?: string | undefined;
}): string {
  const spaced = opts.secretBase32.replace(/(.{4})/g, '$1 ').trim();
  return page(
    'Mobile authenticator setup',
    `<h1>Mobile authenticator setup</h1>
<p>You need to set up a mobile authenticator to activate your account, <strong>${escapeHtml(opts.username)}</strong>.</p>
<ol><li>Install an authenticator app (FreeOTP, Google Authenticator, Microsoft Authenticator…).</li>
<li>Scan the QR code, or enter the key below.</li><li>Enter the code the app shows.</li></ol>
<div id="kc-totp-qr" role="img" aria-label="QR code of the authenticator key">${renderSVG(opts.uri)}</div>
<p>Key: <code id="kc-totp-secret-key">${escapeHtml(spaced)}</code></p>
<p>Type: time-based · Algorithm: ${escapeHtml(opts.algorithm)} · Digits: ${opts.digits} · Interval: ${opts.period} s</p>${errorLine(opts.error)}
<form id="kc-totp-settings-form" method="post" action="${escapeHtml(opts.action)}">
<label for="totp">One-time code</label>
<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" autofocus required>
<label for="userLabel">Device name (optional)</label>
<input id="userLabel" name="userLabel">
<button id="saveTOTPBtn" type="submit">Submit</button>
</form>`,
  );
}

/** Keycloak's `UPDATE_PASSWORD` required action (after a temporary password). */
export function updatePasswordPage(opts: {
  realm: string;
  action: string;
  error?: string | undefined;
}): string {
  return page(
    'Update password',
    `<h1>Update password</h1>
<p>You need to change your password to activate your account.</p>${errorLine(opts.error)}
<form id="kc-passwd-update-form" method="post" action="${escapeHtml(opts.action)}">
<label for="password-new">New password</label>
<input id="password-new" name="password-new" type="password" autocomplete="new-password" autofocus required>
<label for="password-confirm">Confirm password</label>
<input id="password-confirm" name="password-confirm" type="password" autocomplete="new-password" required>
<button id="kc-submit" type="submit">Submit</button>
</form>`,
  );
}
