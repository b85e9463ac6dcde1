import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { DEFAULT_RESOURCE, OIDC_SCOPES } from '../constants.js';
import { readForm, send } from '../http/io.js';
import { loginPage } from '../pages/templates.js';
import type { Realm, RealmUser } from '../realm/types.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks a username and password against the realm; the reason is shown on the login page. */
export function authenticate(
  realm: Realm,
  username: string,
  password: string,
): { user: RealmUser } | { error: 'invalid' | 'disabled' } {
  const user = realm.users.get(username);
  if (!user || user.password === undefined || !sameSecret(user.password, password)) {
    return { error: 'invalid' };
  }
  if (!user.enabled) return { error: 'disabled' };
  return { user };
}

/**
 * The interaction endpoint (login page). Checks the realm's passwords; first-party clients get no
 * consent screen, the grant is recorded as soon as the user has signed in.
 */
export async function handleInteraction(
  provider: Provider,
  realm: Realm,
  req: IncomingMessage,
  res: ServerResponse,
  action: string,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const clientId = String(details.params.client_id ?? '');

  if (details.prompt.name === 'login') {
    if (req.method !== 'POST') {
      send(res, 200, loginPage({ realm: realm.name, action, clientId }));
      return;
    }
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const result = authenticate(realm, username, form.get('password') ?? '');
    if ('error' in result) {
      const error =
        result.error === 'disabled' ? 'Account is disabled.' : 'Invalid username or password.';
      send(res, 200, loginPage({ realm: realm.name, action, clientId, username, error }));
      return;
    }
    const grantId = await grantAll(provider, result.user.id, clientId, details);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: result.user.id }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  // Consent for an already signed-in user: first-party clients are granted without a screen.
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent interaction without a session');
  const grantId = await grantAll(provider, accountId, clientId, details);
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId } },
    {
      mergeWithLastSubmission: true,
    },
  );
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

async function grantAll(
  provider: Provider,
  accountId: string,
  clientId: string,
  details: Details,
): Promise<string> {
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
    : new provider.Grant({ accountId, clientId });
  const requested = String(details.params.scope ?? 'openid')
    .split(' ')
    .filter((s) => OIDC_SCOPES.includes(s));
  const scope = [...new Set(['openid', 'profile', 'email', ...requested])].join(' ');
  grant.addOIDCScope(scope);
  grant.addResourceScope(DEFAULT_RESOURCE, scope);
  return grant.save();
}
