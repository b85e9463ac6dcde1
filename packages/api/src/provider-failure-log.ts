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
    // OpenID Connect Discovery 1.0 §4.3: the document names another issuer (the auth package's
    // "Metadata issuer … does not match …"): the setting to change is the configured issuer.
    const fix =
      type === 'discovery_fetch' && error?.startsWith('Metadata issuer ')
        ? 'set OIDC_ISSUER (or the issuer of its OIDC_ISSUERS entry) to the issuer the document names, exactly as written there (issuers are compared character for character, trailing slash included), or '
        : '';
    logger.warn(
      { issuer, reason },
      `the ${what} of issuer ${issuer} cannot be loaded, so its tokens are refused and /readyz reports it; ${fix}run npm run doctor in this environment for the fix`,
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

/**
 * Tokens naming a key the issuer's held key set lacks, arriving while the set may not be
 * refetched (one fruitless refetch per JWKS cooldown): they are answered 503 with `Retry-After`
 * until the window ends, since the provider may have rotated its key inside it. The key store
 * reports this once per window; the line names the issuer and the time, never a token or a `kid`
 * (the `kid`s of a flood are the sender's to choose).
 */
export function unknownKidDeferredLog(
  logger: Logger,
): (event: { issuer: string; retryAt: number }) => void {
  return ({ issuer, retryAt }) => {
    logger.warn(
      { issuer, retryAt: new Date(retryAt).toISOString() },
      `tokens naming keys (kid) that the keys of issuer ${issuer} lack arrive faster than the keys may be fetched again: they are answered 503 until retryAt. A flood of made-up kids, or a signing key rotated in during one`,
    );
  };
}

/** How often a provider that keeps refusing the API's introspection client is logged again. */
export const CLIENT_REFUSED_LOG_INTERVAL_MS = 60_000;

/**
 * The provider refusing the API's own introspection client (RFC 7662 §2.1, RFC 6749 §5.2
 * `invalid_client`): every token of that issuer is refused with 503 and `/readyz` reports it,
 * so the log says which client and what to check, at most once per
 * {@link CLIENT_REFUSED_LOG_INTERVAL_MS} per issuer rather than on every request. It names the
 * client id, never the secret or a token.
 */
export function clientRefusedLog(
  logger: Logger,
  clientIds: ReadonlyMap<string, string | undefined>,
  now: () => number,
): (event: { issuer: string; clientRefused?: true }) => void {
  const loggedAt = new Map<string, number>();
  return ({ issuer, clientRefused }) => {
    if (clientRefused !== true) return;
    const last = loggedAt.get(issuer);
    if (last !== undefined && now() < last + CLIENT_REFUSED_LOG_INTERVAL_MS) return;
    loggedAt.set(issuer, now());
    const clientId = clientIds.get(issuer);
    logger.error(
      { issuer, clientId },
      `the introspection endpoint of issuer ${issuer} refuses the API's client ${clientId} (OIDC_CLIENT_ID), so every token is refused with 503 and /readyz reports it; check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET against the provider's client, and that this client may introspect tokens`,
    );
  };
}
