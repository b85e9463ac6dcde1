import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { DEFAULT_RESOURCE, OIDC_SCOPES } from '../constants.js';
import { readForm, send } from '../http/io.js';
import type { LoginContext } from '../sessions/context.js';
import { consentPage, permissionLines } from './page.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Whether a client's sign-ins ask the person first: clients of the realm file are the realm's
 * own applications (Keycloak's `consentRequired: false`, which the realm loader holds them to);
 * every dynamically registered client (RFC 7591) asks.
 */
export function asksConsent(ctx: LoginContext, clientId: string): boolean {
  return !ctx.realm.clients.has(clientId);
}

/** The scopes a sign-in is granted: Keycloak's defaults (openid, profile, email) and those asked. */
export function grantedScopes(details: Details): string[] {
  const requested = String(details.params.scope ?? 'openid')
    .split(' ')
    .filter((s) => OIDC_SCOPES.includes(s));
  return [...new Set(['openid', 'profile', 'email', ...requested])];
}

/** The resources (RFC 8707 §2) the authorization request names. */
export function requestedResources(details: Details): string[] {
  const resource = details.params.resource;
  return (Array.isArray(resource) ? resource : resource ? [resource] : []).map(String);
}

/**
 * The claims an authorization request names in its `claims` parameter (OpenID Connect Core
 * §5.5), for the ID token and userinfo alike. oidc-provider has already refused a malformed one.
 */
export function requestedClaims(details: Details): string[] {
  if (typeof details.params.claims !== 'string') return [];
  try {
    const request = JSON.parse(details.params.claims) as Record<string, unknown>;
    return [
      ...new Set(
        [request.id_token, request.userinfo].flatMap((member) =>
          member && typeof member === 'object' ? Object.keys(member) : [],
        ),
      ),
    ];
  } catch {
    return [];
  }
}

/**
 * Records the grant of a sign-in: its scopes, for the default resource and those asked, and the
 * claims its `claims` parameter names. Those add nothing the scopes do not already release (every
 * claim the realm has belongs to `openid`, `profile` or `email`, always granted); left out of the
 * grant, they would send the sign-in back to the consent step again and again.
 */
export async function grantAll(
  provider: Provider,
  accountId: string,
  clientId: string,
  details: Details,
): Promise<string> {
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
    : new provider.Grant({ accountId, clientId });
  const scope = grantedScopes(details).join(' ');
  grant.addOIDCScope(scope);
  const claims = requestedClaims(details);
  if (claims.length > 0) grant.addOIDCClaims(claims);
  grant.addResourceScope(DEFAULT_RESOURCE, scope);
  // RFC 8707 §2.1: the resources the request names are granted the same scope.
  for (const r of requestedResources(details)) grant.addResourceScope(r, scope);
  return grant.save();
}

/**
 * The consent step of an interaction, for a person already signed in. The realm's own clients
 * are granted without a screen. A registered client gets the consent page unless the person
 * allowed it this much before (and the request does not say `prompt=consent`); "Allow" is
 * remembered, "Deny" ends the request with `access_denied` at the client's redirect URI
 * (RFC 6749 §4.1.2.1).
 */
export async function handleConsent(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  action: string,
  details: Details,
): Promise<void> {
  const { provider, realm, consents } = ctx;
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent interaction without a session');
  const clientId = String(details.params.client_id ?? '');
  const scopes = grantedScopes(details);
  const resources = requestedResources(details);
  const finish = async () => {
    const grantId = await grantAll(provider, accountId, clientId, details);
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };
  if (!asksConsent(ctx, clientId)) return finish();
  const forced = String(details.params.prompt ?? '')
    .split(' ')
    .includes('consent');
  if (!forced && consents.covers(accountId, clientId, scopes, resources)) return finish();

  const form = req.method === 'POST' ? await readForm(req) : undefined;
  if (form?.get('accept')) {
    consents.remember(accountId, clientId, scopes, resources);
    return finish();
  }
  if (form?.get('cancel')) {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The resource owner denied the request' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const user = realm.usersById.get(accountId);
  if (!user?.enabled) throw new Error('consent interaction for an unknown or disabled user');
  const client = await provider.Client.find(clientId);
  send(
    res,
    200,
    consentPage({
      action,
      clientId,
      clientName: client?.clientName,
      username: user.username,
      scopes,
      permissions: permissionLines(realm, user),
      resources,
    }),
  );
}
