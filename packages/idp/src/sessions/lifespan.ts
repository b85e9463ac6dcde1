import type Provider from 'oidc-provider';
import type { IdpLogger } from '../logger.js';

/** The two realm settings that bound an SSO session, in seconds. */
export interface SessionTimeouts {
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
}

/**
 * How long a session (and its refresh token) may live from `now` on, in whole seconds.
 *
 * Keycloak ends an SSO session at whichever comes first: `ssoSessionIdleTimeout` without activity
 * (a login or a refresh restarts it), or `ssoSessionMaxLifespan` after the user signed in — "a hard
 * number and time … regardless of activity" (Keycloak Server Administration Guide, "Session and
 * token timeouts"). Its refresh tokens expire with it, so the same bound is their lifetime and
 * their `refresh_expires_in`. A max lifespan shorter than the idle timeout still wins.
 *
 * `loginTs` is the session's sign-in time (oidc-provider's `session.loginTs`, copied into tokens as
 * `authTime`); before sign-in only the idle timeout applies. oidc-provider wants a positive
 * integer, so a session already at its end gets 1 s; its stored `exp` (whole seconds) still ends
 * it, and session-bound refresh tokens with it, within that second.
 *
 * @example
 * sessionTtl({ ssoSessionIdleTimeout: 1800, ssoSessionMaxLifespan: 36000 }, loginTs); // ≤ 1800
 */
export function sessionTtl(
  timeouts: SessionTimeouts,
  loginTs: number | undefined,
  now = Math.floor(Date.now() / 1000),
): number {
  const idle = timeouts.ssoSessionIdleTimeout;
  if (loginTs === undefined) return idle;
  const untilMax = loginTs + timeouts.ssoSessionMaxLifespan - now;
  return Math.max(1, Math.min(idle, untilMax));
}

interface IssuedRefreshToken {
  remainingTTL: number;
}

/**
 * Keycloak's token responses carry `refresh_expires_in` next to every refresh token; oidc-provider's
 * do not. Reports the issued refresh token's remaining lifetime, which {@link sessionTtl} already
 * bounds by the session's idle timeout and max lifespan. Responses that set it themselves (the
 * password grant) are left as they are.
 */
export function reportRefreshExpiry(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || typeof ctx.body !== 'object' || !ctx.body) return;
    const body = ctx.body as Record<string, unknown>;
    const issued = ctx.oidc.entities.RefreshToken as IssuedRefreshToken | undefined;
    if (typeof body.refresh_token !== 'string' || body.refresh_expires_in !== undefined) return;
    if (issued) body.refresh_expires_in = issued.remainingTTL;
  });
}

/**
 * Keycloak's SSO session idle timeout restarts whenever the session's refresh token is used, but
 * never past the session's max lifespan: the session keeps its end there, so the store's expiry
 * sweep ends it (with back-channel logout) exactly as on idle expiry.
 */
export function extendSessionOnRefresh(
  provider: Provider,
  timeouts: SessionTimeouts,
  log: IdpLogger,
): void {
  provider.on('grant.success', (ctx) => {
    const rt = ctx.oidc.entities.RefreshToken;
    if (ctx.oidc.params?.grant_type !== 'refresh_token' || !rt?.sessionUid) return;
    provider.Session.findByUid(rt.sessionUid)
      .then((session) => session?.save(sessionTtl(timeouts, session.loginTs)))
      .catch((error: Error) => log.warn(`session idle extension failed: ${error.message}`));
  });
}
