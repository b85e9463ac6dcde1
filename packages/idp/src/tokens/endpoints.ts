import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { authenticateClient } from '../http/client-auth.js';
import { readForm, send, sendJson, sendOAuthError } from '../http/io.js';
import type { IdpProfile } from '../profiles/profile.js';
import type { Realm } from '../realm/types.js';
import type { AccessTokenRegistry } from './access-tokens.js';

function looksLikeJwt(value: string): boolean {
  return value.split('.').length === 3;
}

function rejectClient(res: ServerResponse): void {
  res.setHeader('www-authenticate', 'Basic realm="introspection"');
  sendOAuthError(res, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
}

async function findRefreshToken(provider: Provider, value: string) {
  const rt = await provider.RefreshToken.find(value);
  if (!rt?.isValid) return undefined;
  if (rt.expiresWithSession && rt.sessionUid) {
    const session = await provider.Session.findByUid(rt.sessionUid);
    if (!session || session.accountId !== rt.accountId) return undefined;
  }
  return rt;
}

/**
 * Token introspection (RFC 7662 §2) in Keycloak's response shape: the token's own claims plus
 * `active`, `client_id`, `username` and `token_type`. Only confidential clients may introspect,
 * as in Keycloak; another client gets the profile's {@link IdpProfile.introspectionRefusal}. An
 * unknown, expired, revoked or logged-out token is `{ "active": false }`.
 */
export async function handleIntrospection(
  provider: Provider,
  realm: Realm,
  profile: IdpProfile,
  registry: AccessTokenRegistry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const form = await readForm(req);
  const client = authenticateClient(realm, req, form);
  if (!client || client.publicClient) {
    const { status, body } = profile.introspectionRefusal(
      client ? 'not-allowed' : 'unauthenticated',
    );
    return sendJson(res, status, body);
  }
  const token = form.get('token');
  if (!token) {
    sendOAuthError(res, 400, 'invalid_request', 'missing token parameter');
    return;
  }
  const found = looksLikeJwt(token) ? await registry.verify(token) : undefined;
  // Keycloak answers a disabled (or deleted) user's tokens as inactive.
  const owner = found?.record.accountId;
  if (owner !== undefined && !realm.usersById.get(owner)?.enabled) {
    return sendJson(res, 200, { active: false });
  }
  if (found) {
    const { azp: _azp, uid: _uid, ...idTokenClaims } = found.claims;
    const claims = profile.introspectionNamesCaller ? idTokenClaims : found.claims;
    sendJson(res, 200, {
      ...claims,
      client_id: profile.introspectionNamesCaller ? client.clientId : found.record.clientId,
      ...(claims.preferred_username ? { username: claims.preferred_username } : {}),
      // Keycloak answers the token's own type: `DPoP` for a DPoP-bound token, else `Bearer`.
      ...(profile.definition.typClaimMarksAccessTokens
        ? { token_type: claims.typ === 'DPoP' ? 'DPoP' : 'Bearer' }
        : {}),
      active: true,
    });
    return;
  }
  const rt = await findRefreshToken(provider, token);
  const user = rt?.accountId ? realm.usersById.get(rt.accountId) : undefined;
  if (!rt || (rt.accountId && !user?.enabled)) return sendJson(res, 200, { active: false });
  sendJson(res, 200, {
    active: true,
    iss: provider.issuer,
    sub: rt.accountId,
    client_id: rt.clientId,
    azp: rt.clientId,
    exp: rt.exp,
    iat: rt.iat,
    scope: rt.scope,
    sid: rt.sid,
    ...(user ? { username: user.username } : {}),
    // Keycloak marks a refresh token by its `typ` claim. Real Authentik answers a refresh token
    // with its ID-token claims and no type; the Authentik profile says RFC 7662 §2.2
    // `token_type: refresh_token` instead, so a resource server can tell it is no access token.
    ...(profile.definition.typClaimMarksAccessTokens
      ? { typ: 'Refresh' }
      : { token_type: 'refresh_token' }),
  });
}

/**
 * Token revocation (RFC 7009 §2). A client may revoke only its own tokens; revoking a refresh
 * token ends its grant (and the access tokens of it). Always 200 for an unknown token (§2.2).
 */
export async function handleRevocation(
  provider: Provider,
  realm: Realm,
  registry: AccessTokenRegistry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const form = await readForm(req);
  const client = authenticateClient(realm, req, form);
  if (!client) return rejectClient(res);
  const token = form.get('token');
  if (!token) {
    sendOAuthError(res, 400, 'invalid_request', 'missing token parameter');
    return;
  }
  const found = looksLikeJwt(token) ? await registry.verify(token) : undefined;
  const rt = found ? undefined : await provider.RefreshToken.find(token);
  const owner = found ? found.record.clientId : rt?.clientId;
  if (owner !== undefined && owner !== client.clientId) {
    // RFC 7009 §2.1: a token issued to another client is refused, never silently kept alive
    // behind a 200; Keycloak's answer.
    sendOAuthError(res, 400, 'unauthorized_client', 'Unmatching clients');
    return;
  }
  if (found) {
    await registry.revoke(found.record.jti);
  } else if (rt) {
    await rt.destroy();
    if (rt.grantId) {
      await Promise.all([
        provider.AccessToken.revokeByGrantId(rt.grantId),
        provider.RefreshToken.revokeByGrantId(rt.grantId),
      ]);
    }
  }
  send(res, 200, '', 'text/plain');
}
