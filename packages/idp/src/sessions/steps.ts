import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { send } from '../http/io.js';
import { generateOtpSecret, otpauthUri } from '../otp/totp.js';
import { configureTotpPage, otpPage, updatePasswordPage } from '../pages/otp.js';
import type { RealmUser } from '../realm/types.js';
import { LEVEL_OTP } from './acr.js';
import type { LoginContext } from './context.js';
import type { PendingLogin } from './pending.js';

/** The steps of a sign-in after the password, in Keycloak's order. */
export type Step = 'update-password' | 'configure-totp' | 'otp' | 'done';

/** What is left to do: required actions first, then the OTP the requested level needs. */
export function nextStep(user: RealmUser, state: PendingLogin, wantedLevel: number): Step {
  if (user.requiredActions.includes('UPDATE_PASSWORD')) return 'update-password';
  const hasOtp = state.amr.includes('otp');
  if (user.requiredActions.includes('CONFIGURE_TOTP')) return 'configure-totp';
  if (wantedLevel >= LEVEL_OTP && !hasOtp) return user.otp.length > 0 ? 'otp' : 'configure-totp';
  return 'done';
}

/** Renders the page of `step`; `error` explains a refused submission. */
export function renderStep(
  ctx: LoginContext,
  res: ServerResponse,
  action: string,
  step: Exclude<Step, 'done'>,
  user: RealmUser,
  state: PendingLogin,
  error?: string,
): void {
  const { realm } = ctx;
  if (step === 'update-password') {
    send(res, 200, updatePasswordPage({ realm: realm.name, action, error }));
    return;
  }
  if (step === 'otp') {
    const devCode = ctx.showDevOtp ? ctx.otp.currentCode(user) : undefined;
    const opts = { realm: realm.name, action, username: user.username, stepUp: state.stepUp };
    send(res, 200, otpPage({ ...opts, error, devCode }));
    return;
  }
  state.enrolSecret ??= generateOtpSecret();
  const key = Buffer.from(state.enrolSecret, 'utf8');
  const { algorithm, digits, period } = realm.otpPolicy;
  const uri = otpauthUri({
    issuer: realm.name,
    account: user.username,
    key,
    params: realm.otpPolicy,
  });
  const secretBase32 = new URL(uri).searchParams.get('secret') ?? '';
  const page = configureTotpPage({
    ...{ realm: realm.name, action, username: user.username, uri, secretBase32 },
    ...{ digits, period, algorithm, error },
  });
  send(res, 200, page);
}

/**
 * Handles the submission of `step`. Returns `undefined` when it was accepted (the state moved
 * on), or the error to show on the same page again. A wrong OTP counts as a failed sign-in.
 */
export function submitStep(
  ctx: LoginContext,
  step: Exclude<Step, 'done'>,
  user: RealmUser,
  state: PendingLogin,
  form: URLSearchParams,
): string | undefined {
  if (step === 'update-password') {
    const password = form.get('password-new') ?? '';
    if (password === '') return 'Please specify password.';
    if (password !== form.get('password-confirm')) return "Passwords don't match.";
    ctx.directory.setPassword(user.id, password, false);
    return undefined;
  }
  if (step === 'otp') {
    if (!ctx.otp.verify(user, form.get('otp') ?? '')) {
      ctx.guard.failed(user);
      return 'Invalid authenticator code.';
    }
    state.amr = [...new Set([...state.amr, 'otp'])];
    return undefined;
  }
  const secret = state.enrolSecret;
  if (!secret) return 'Scan the QR code first.';
  const id = randomUUID();
  const { algorithm, digits, period } = ctx.realm.otpPolicy;
  const params = { algorithm, digits, period };
  const key = Buffer.from(secret, 'utf8');
  if (!ctx.otp.verifyNew(id, key, params, form.get('totp') ?? '')) {
    ctx.guard.failed(user);
    return 'Invalid authenticator code.';
  }
  ctx.directory.addOtp(user.id, {
    id,
    userLabel: form.get('userLabel') || undefined,
    createdDate: Date.now(),
    value: secret,
    secretEncoding: undefined,
    params,
  });
  state.enrolSecret = undefined;
  state.amr = [...new Set([...state.amr, 'otp'])];
  return undefined;
}
