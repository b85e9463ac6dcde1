import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RefreshTokenSettings } from '../realm/security.js';

interface PresentedRefreshToken {
  jti: string;
  iat: number;
  clientId?: string;
  sessionUid?: string;
  grantId?: string;
}

/** Keycloak keeps these per client session: the refresh token in use and how often it was used. */
interface ClientSessionUse {
  current: string;
  count: number;
  /** Seconds; the last successful refresh. */
  lastRefresh: number;
}

/**
 * Refresh-token rotation as Keycloak does it (`TokenManager.validateTokenReuse`), driven by the
 * realm's `revokeRefreshToken` and `refreshTokenMaxReuse`:
 *
 * - Every refresh returns a new refresh token.
 * - `revokeRefreshToken: false` (Keycloak's default): earlier refresh tokens stay usable until they
 *   expire, so two tabs, or a client refreshing twice at once, never log the session out.
 * - `revokeRefreshToken: true`: a refresh token issued before the client session's last refresh
 *   is refused ("Stale token"), and the current one may be used `refreshTokenMaxReuse` + 1 times
 *   ("Maximum allowed refresh token reuse exceeded"). Either is `invalid_grant` for that request
 *   only; as in Keycloak the session and its other tokens live on.
 *
 * oidc-provider's own reuse detection (revoking the whole grant when a rotated token comes back)
 * is switched off by never marking a refresh token consumed.
 */
export function keycloakRefreshRotation(
  provider: Provider,
  settings: RefreshTokenSettings,
): (ctx: KoaContextWithOIDC) => Promise<boolean> {
  const proto = provider.RefreshToken.prototype as unknown as { consume(): Promise<void> };
  proto.consume = async () => {};
  const uses = new Map<string, ClientSessionUse>();

  return async (ctx) => {
    if (!settings.revokeRefreshToken) return true;
    const token = ctx.oidc.entities.RefreshToken as unknown as PresentedRefreshToken;
    const key = `${token.sessionUid ?? token.grantId}:${token.clientId}`;
    const now = Math.floor(Date.now() / 1000);
    // Everything below runs without an await, so concurrent refreshes are counted one by one.
    const use = uses.get(key);
    if (use && use.current !== token.jti && token.iat < use.lastRefresh) {
      throw new errors.CustomOIDCProviderError('invalid_grant', 'Stale token');
    }
    const entry =
      use && use.current === token.jti ? use : { current: token.jti, count: 0, lastRefresh: now };
    uses.set(key, entry);
    if (entry.count > settings.refreshTokenMaxReuse) {
      throw new errors.CustomOIDCProviderError(
        'invalid_grant',
        'Maximum allowed refresh token reuse exceeded',
      );
    }
    entry.count += 1;
    entry.lastRefresh = now;
    return true;
  };
}
