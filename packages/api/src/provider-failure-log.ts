import { shownUrl } from '@todo-sso/auth';
import type { Logger } from 'pino';

/**
 * The URLs in a fetch failure as a configuration message shows them ({@link shownUrl}): an
 * `OIDC_DISCOVERY_URL` may carry a password (`https://user:password@…`, which fetch refuses,
 * repeating the URL in its error) or a token in its query, and the log must hold neither.
 */
const withoutSecrets = (text: string): string =>
  text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => shownUrl(url));

/**
 * Why an issuer cannot be used, in the log: a discovery document or key set that fails to load
 * (unreachable, or naming another issuer, e.g. `OIDC_ISSUER` off by a trailing slash, OpenID
 * Connect Discovery 1.0 §4.3) leaves `/readyz` unavailable and refuses every token of that
 * issuer, and the reason is otherwise nowhere. Logged when it changes, not on every retry, and
 * once when the issuer loads again. The reason names URLs (without user information or query)
 * and issuers, never a token.
 */
export function providerFailureLog(
  logger: Logger,
): (event: {
  type: 'discovery_fetch' | 'jwks_fetch';
  issuer: string;
  ok: boolean;
  error?: string;
}) => void {
  const failing = new Map<string, string>();
  return ({ type, issuer, ok, error }) => {
    const what = type === 'discovery_fetch' ? 'discovery document' : 'keys (JWKS)';
    if (ok) {
      // A discovery that loads is followed by the keys: recovery is when those load too.
      if (type === 'jwks_fetch' && failing.delete(issuer))
        logger.info({ issuer }, 'identity provider usable again');
      return;
    }
    const reason = `${what}: ${withoutSecrets(error ?? 'failed')}`;
    if (failing.get(issuer) === reason) return;
    failing.set(issuer, reason);
    logger.warn(
      { issuer, reason },
      `the ${what} of issuer ${issuer} cannot be loaded, so its tokens are refused and /readyz reports it; run npm run doctor in this environment for the fix`,
    );
  };
}

/**
 * "Serving cached keys" while the provider is down (stale-if-error): every request whose keys
 * outlived their lifetime reports it, so the warning is logged once per outage of each issuer
 * (`outageSince` names the outage), not once per request.
 */
export function staleKeysLog(
  logger: Logger,
): (event: { issuer: string; outageSince: number }) => void {
  const logged = new Map<string, number>();
  return ({ issuer, outageSince }) => {
    if (logged.get(issuer) === outageSince) return;
    logged.set(issuer, outageSince);
    logger.warn(
      { issuer, outageSince: new Date(outageSince).toISOString() },
      'identity provider unreachable; serving cached keys',
    );
  };
}
