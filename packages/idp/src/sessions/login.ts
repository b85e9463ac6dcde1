import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { asksConsent, grantAll, handleConsent } from '../consent/interaction.js';
import { readForm, send } from '../http/io.js';
import { loginPage } from '../pages/templates.js';
import type { Realm, RealmUser } from '../realm/types.js';
import { passwordMatches } from '../users/password.js';
import { acrOf, LEVEL_OTP, LEVEL_PASSWORD, requestedLevel } from './acr.js';
import type { LoginContext, LoginGuard } from './context.js';
import type { PendingLogin } from './pending.js';
import { nextStep, renderStep, submitStep } from './steps.js';

/**
 * Checks a username and password against the realm, under its brute-force detection: a wrong
 * password counts a failure, and a locked account is refused without looking at the password. An
 * unknown user, a wrong password and a locked account give the same answer (`invalid`); only a
 * disabled account with the right password is told apart, as Keycloak does. The caller records
 * success (`guard.succeeded`) once every factor is checked.
 */
export function authenticate(
  realm: Realm,
  guard: LoginGuard,
  username: string,
  password: string,
): { user: RealmUser } | { error: 'invalid' | 'disabled' } {
  // Keycloak matches usernames case-insensitively (it stores them in lower case).
  const user = realm.users.get(username) ?? realm.users.get(username.toLowerCase());
  if (!user || user.serviceAccountClientId) return { error: 'invalid' };
  if (guard.locked(user)) return { error: 'invalid' };
  if (!passwordMatches(user, password)) {
    guard.failed(user);
    return { error: 'invalid' };
  }
  if (!user.enabled) return { error: 'disabled' };
  return { user };
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The level the authorization request asks for (`acr_values` wins over `claims`, as in oidc-provider). */
/** The realm file's demo users: enabled people whose password is their username. */
function demoUsers(realm: Realm): string[] {
  return [...realm.usersById.values()]
    .filter(
      (user) => user.enabled && !user.serviceAccountClientId && user.password === user.username,
    )
    .map((user) => user.username);
}

function wantedLevel(realm: Realm, params: Details['params']): number {
  let claims: Record<string, unknown> = {};
  try {
    if (typeof params.claims === 'string') claims = JSON.parse(params.claims);
  } catch {
    // oidc-provider has already refused a malformed claims parameter.
  }
  if (typeof params.acr_values === 'string' && params.acr_values) {
    const idToken = (claims.id_token ?? {}) as Record<string, unknown>;
    claims.id_token = { ...idToken, acr: { values: params.acr_values.split(' ') } };
  }
  return requestedLevel(realm, claims);
}

/** The session is signed in as someone, and only the level of authentication is too low. */
function stepUpOnly(details: Details): boolean {
  const reasons = details.prompt.reasons;
  return Boolean(details.session?.accountId) && reasons.length === 1 && reasons[0] === 'acr_level';
}

/**
 * The interaction endpoint: the login page, then — as the user and the request need — the
 * required actions (`UPDATE_PASSWORD`, `CONFIGURE_TOTP`) and the OTP step; a session below the
 * requested level (`acr_values=mfa`) goes straight to the OTP step. The realm's own clients get
 * no consent screen, the grant is recorded as soon as the user has signed in; a registered
 * client's sign-in continues with the consent step (consent/interaction.ts).
 */
export async function handleInteraction(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  action: string,
): Promise<void> {
  const { provider, realm } = ctx;
  const details = await provider.interactionDetails(req, res);
  const clientId = String(details.params.client_id ?? '');

  if (details.prompt.name !== 'login') {
    await handleConsent(ctx, req, res, action, details);
    return;
  }

  let state = ctx.pending.get(details.uid);
  const sessionUser = details.session ? realm.usersById.get(details.session.accountId) : undefined;
  if (!state && stepUpOnly(details) && sessionUser?.enabled) {
    const amr = Array.isArray(details.session?.amr) ? (details.session.amr as string[]) : ['pwd'];
    state = ctx.pending.start(details.uid, { userId: sessionUser.id, amr, stepUp: true });
  }
  const form = req.method === 'POST' ? await readForm(req) : undefined;

  if (!state) {
    if (!form) {
      send(
        res,
        200,
        loginPage({ realm: realm.name, action, clientId, demoUsers: demoUsers(realm) }),
      );
      return;
    }
    const username = form.get('username') ?? '';
    const result = authenticate(realm, ctx.guard, username, form.get('password') ?? '');
    if ('error' in result) {
      const error =
        result.error === 'disabled' ? 'Account is disabled.' : 'Invalid username or password.';
      send(
        res,
        200,
        loginPage({
          realm: realm.name,
          action,
          clientId,
          username,
          error,
          demoUsers: demoUsers(realm),
        }),
      );
      return;
    }
    state = ctx.pending.start(details.uid, { userId: result.user.id, amr: ['pwd'], stepUp: false });
    return advance(ctx, req, res, action, details, state);
  }

  const user = realm.usersById.get(state.userId);
  if (!user?.enabled) {
    ctx.pending.end(details.uid);
    send(
      res,
      200,
      loginPage({ realm: realm.name, action, clientId, error: 'Account is disabled.' }),
    );
    return;
  }
  const step = nextStep(user, state, wantedLevel(realm, details.params));
  if (form && step !== 'done') {
    // A user locked out by brute-force detection gets no more code checks, and no different
    // answer (Keycloak's OTP form does the same).
    if (step !== 'update-password' && ctx.guard.locked(user)) {
      return renderStep(ctx, res, action, step, user, state, 'Invalid authenticator code.');
    }
    const error = submitStep(ctx, step, user, state, form);
    if (error) return renderStep(ctx, res, action, step, user, state, error);
  }
  return advance(ctx, req, res, action, details, state);
}

/** Shows the next step of the sign-in, or finishes it with the level reached. */
async function advance(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  action: string,
  details: Details,
  state: PendingLogin,
): Promise<void> {
  const user = ctx.realm.usersById.get(state.userId) as RealmUser;
  const step = nextStep(user, state, wantedLevel(ctx.realm, details.params));
  if (step !== 'done') return renderStep(ctx, res, action, step, user, state);
  ctx.pending.end(details.uid);
  ctx.guard.succeeded(user);
  const level = state.amr.includes('otp') ? LEVEL_OTP : LEVEL_PASSWORD;
  const clientId = String(details.params.client_id ?? '');
  const login = {
    accountId: user.id,
    acr: acrOf(ctx.realm, level),
    amr: state.amr,
    // A step-up is an authentication too: auth_time moves to now (RFC 9470 §4).
    ts: Math.floor(Date.now() / 1000),
  };
  // A client that asks for consent gets the consent step next (oidc-provider's consent prompt,
  // handled by handleConsent); the realm's own clients are granted at once.
  const consent = asksConsent(ctx, clientId)
    ? {}
    : { consent: { grantId: await grantAll(ctx.provider, user.id, clientId, details) } };
  await ctx.provider.interactionFinished(
    req,
    res,
    { login, ...consent },
    { mergeWithLastSubmission: false },
  );
}
