import type Provider from 'oidc-provider';

/** What is left of a session when it ends: its subject and the clients it signed in to. */
export interface EndedSession {
  accountId?: string | undefined;
  authorizations?: Record<string, { sid?: string; grantId?: string }> | undefined;
}

/** oidc-provider's client model, as far as back-channel logout goes. */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

export type BackchannelReport = (
  clientId: string,
  /** `uri`: where the logout token was sent (the client's `backchannel_logout_uri`). */
  outcome: { ok: true } | { ok: false; error: Error; uri?: string | undefined },
) => void;

/**
 * Ends a user session the way Keycloak does: revokes the grants (refresh tokens, codes) of every
 * client of the session and sends each client that registered a `backchannel_logout_uri` an
 * OpenID Connect Back-Channel Logout 1.0 logout token (§2.4–2.5, a signed JWT with the session's
 * `sid` and the `events` member). Failed deliveries are reported, never retried (§2.8 allows it).
 */
export async function endSession(
  provider: Provider,
  session: EndedSession,
  report: BackchannelReport,
): Promise<void> {
  const entries = Object.entries(session.authorizations ?? {});
  await Promise.all(
    entries.map(async ([clientId, { sid, grantId }]) => {
      if (grantId) await revokeGrant(provider, grantId);
      const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
      if (!client?.backchannelLogoutUri || !session.accountId) return;
      try {
        await client.backchannelLogout(session.accountId, sid as string);
        report(clientId, { ok: true });
      } catch (error) {
        report(clientId, { ok: false, error: error as Error, uri: client.backchannelLogoutUri });
      }
    }),
  );
}

/** Revokes a grant and everything issued under it (codes, access and refresh tokens). */
export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    provider.DeviceCode.revokeByGrantId(grantId),
    provider.Grant.adapter.destroy(grantId),
  ]);
}
