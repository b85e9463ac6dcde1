import type { IncomingMessage, ServerResponse } from 'node:http';
import { readForm, sendJson } from '../http/io.js';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm } from '../realm/types.js';
import type { AccessTokenRegistry } from './access-tokens.js';
import { mappedAttributes, profileClaims } from './claims.js';

const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

function unauthorized(res: ServerResponse, description: string): void {
  // RFC 6750 §3: the resource server's challenge.
  res.setHeader(
    'www-authenticate',
    `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
  );
  sendJson(res, 401, { error: 'invalid_token', error_description: description });
}

/**
 * The UserInfo endpoint (OpenID Connect Core §5.3). Keycloak answers it for its audience-bound
 * access tokens; oidc-provider's own endpoint refuses tokens that carry an `aud`, so the dev IdP
 * serves it itself from the stored token.
 */
export async function handleUserinfo(
  registry: AccessTokenRegistry,
  realm: Realm,
  profile: IdpProfile,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const header = req.headers.authorization ?? '';
  let value = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  // RFC 6750 §2.2: the form-encoded body parameter.
  if (!value && req.method === 'POST') value = (await readForm(req)).get('access_token') ?? '';
  if (!value) {
    res.setHeader('www-authenticate', 'Bearer realm="userinfo"');
    sendJson(res, 401, { error: 'invalid_request', error_description: 'missing access token' });
    return;
  }
  const found = await registry.verify(value);
  const token = found?.record;
  if (!token?.accountId) {
    unauthorized(res, 'token is invalid, expired, revoked or its session has ended');
    return;
  }
  // RFC 9449 §7.2: a DPoP-bound token is not a bearer token. The dev IdP's userinfo takes bearer
  // tokens only, so a bound one is refused rather than accepted without its proof.
  if ((found?.claims.cnf as { jkt?: unknown } | undefined)?.jkt !== undefined) {
    unauthorized(res, 'the token is DPoP-bound; userinfo takes bearer tokens only');
    return;
  }
  const scopes = new Set(String(token.scope ?? '').split(' '));
  if (!scopes.has('openid')) {
    sendJson(res, 403, { error: 'insufficient_scope', error_description: 'missing openid scope' });
    return;
  }
  const user = [...realm.users.values()].find((u) => u.id === token.accountId);
  if (!user?.enabled) {
    unauthorized(res, 'user not found or disabled');
    return;
  }
  const all = profileClaims(user);
  const claims: Record<string, unknown> = { sub: user.id };
  for (const [scope, names] of Object.entries(SCOPE_CLAIMS)) {
    if (!scopes.has(scope)) continue;
    for (const name of names) if (all[name] !== undefined) claims[name] = all[name];
  }
  Object.assign(
    claims,
    mappedAttributes(user, realm.clients.get(token.clientId ?? ''), 'userinfo'),
  );
  Object.assign(claims, profile.userinfoClaims(user));
  sendJson(res, 200, claims);
}
