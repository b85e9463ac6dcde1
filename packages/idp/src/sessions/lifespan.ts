import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
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

/**
 * How long tokens, sessions and grants live, in seconds: access and ID tokens as the realm (or
 * the start-up override) says; a session and its refresh tokens until its idle timeout or its
 * max lifespan after sign-in, whichever is first (see {@link sessionTtl}). Refresh tokens carry
 * the sign-in time as `authTime`; a rotated one gets a fresh idle period but never passes the
 * max lifespan.
 */
export function tokenLifetimes(
  timeouts: SessionTimeouts,
  accessTokenLifespan: number,
): NonNullable<Configuration['ttl']> {
  return {
    AccessToken: accessTokenLifespan,
    ClientCredentials: accessTokenLifespan,
    IdToken: accessTokenLifespan,
    RefreshToken: (_ctx, token) => sessionTtl(timeouts, token.authTime),
    Session: (_ctx, session) => sessionTtl(timeouts, session.loginTs),
    // A grant is not re-saved when its session is kept active by refreshes, so it lives as long
    // as a session can; the session's end revokes it sooner (session-end.ts).
    Grant: timeouts.ssoSessionMaxLifespan,
    AuthorizationCode: 60,
    DeviceCode: 600,
  };
}
