import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { authenticateClient } from '../http/client-auth.js';
import { send, sendOAuthError } from '../http/io.js';
import type { Realm } from '../realm/types.js';
import { type BackchannelReport, endSession } from '../sessions/end.js';

/**
 * Keycloak's logout for scripts and back-ends: `POST …/protocol/openid-connect/logout` with the
 * client's credentials and a `refresh_token` ends the user session that token belongs to
 * (revoking its tokens and sending back-channel logout tokens), answering 204 as Keycloak does.
 */
export async function handleRefreshTokenLogout(
  provider: Provider,
  realm: Realm,
  req: IncomingMessage,
  res: ServerResponse,
  form: URLSearchParams,
  report: BackchannelReport,
): Promise<void> {
  const client = authenticateClient(realm, req, form);
  if (!client) {
    sendOAuthError(res, 401, 'unauthorized_client', 'Invalid client or Invalid client credentials');
    return;
  }
  const clientId = client.clientId;
  const refreshToken = await provider.RefreshToken.find(form.get('refresh_token') ?? '');
  if (!refreshToken?.isValid || refreshToken.clientId !== clientId) {
    sendOAuthError(res, 400, 'invalid_grant', 'Invalid refresh token');
    return;
  }
  const session = refreshToken.sessionUid
    ? await provider.Session.findByUid(refreshToken.sessionUid)
    : undefined;
  if (session) {
    await session.destroy();
    await endSession(provider, session, report);
  } else {
    await endSession(
      provider,
      {
        accountId: refreshToken.accountId,
        authorizations: { [clientId]: { grantId: refreshToken.grantId, sid: refreshToken.sid } },
      },
      report,
    );
  }
  send(res, 204, '');
}
