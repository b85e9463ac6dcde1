import type { ResolvedIssuer } from '../config.js';
import type { Finding, SettingName } from './types.js';

/**
 * The findings for a discovery document or a key set the API cannot load: what failed (TLS
 * trust, plain http, a path the provider does not serve, an address unreachable from here) and
 * the setting to change, named as the operator sets it (`settingNames`).
 */

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A connection refused by this machine itself (`localhost`, 127.0.0.0/8, `[::1]`): most often the
 * provider is not running yet, which no address setting fixes.
 */
function refusedHere(url: string, error: unknown): boolean {
  if (!/\(connection refused\)/.test(message(error)) || !URL.canParse(url)) return false;
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The discovery document (or, with `what`, another document) could not be loaded. */
export function unreachable(
  issuer: ResolvedIssuer,
  url: string,
  error: unknown,
  name: SettingName,
  what = 'The discovery document',
): Finding {
  const discoveryUrl = name('discoveryUrl', 'OIDC_DISCOVERY_URL');
  const tls = /\(TLS: /.test(message(error));
  const plainHttp = /ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)/.test(message(error));
  // A 404 for the discovery document: the server is there, the issuer path is not (a realm
  // named differently, an Authentik slug or trailing slash off). An internal address would
  // not help, so the fix is the issuer itself.
  const notFound = what === 'The discovery document' && /answered HTTP 404$/.test(message(error));
  const answered = answeredFailure(issuer, url, error, name, what);
  const fix: Finding['fix'] = answered
    ? answered
    : notFound
      ? {
          config: `The provider answers but has no discovery document there: check ${name('issuer', 'OIDC_ISSUER')} (and ${discoveryUrl} when set) against the issuer the provider publishes.`,
          keycloak:
            'The issuer is <server>/realms/<realm>, with the realm name exactly as in Realm settings (names are case-sensitive); Keycloak before 17 adds /auth before /realms.',
          authentik:
            'The issuer is <server>/application/o/<slug>/ with the application’s slug and the trailing slash (Applications → <application> → Slug).',
        }
      : {
          config: plainHttp
            ? `The provider answers plain http where https was asked for: check the scheme and port of ${url}.`
            : tls
              ? 'The API does not trust the provider’s TLS certificate: give Node the certificate of the CA that signed it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or have the provider serve one for its host name from a public CA; never turn verification off.'
              : issuer.discoveryUrl !== undefined
                ? // The internal address itself is what fails: pointing at it again would not help.
                  `${discoveryUrl} (${issuer.discoveryUrl}) cannot be reached from this host: check its host name and port (the provider as the API reaches it, inside Docker or Kubernetes its service name, e.g. http://keycloak:8080; an origin alone keeps the issuer's path), or remove it to fetch from the public issuer.`
                : `${refusedHere(url, error) ? `Nothing accepts connections at ${new URL(url).host} on this machine: start the provider (the development one: npm start, or npm run idp) or correct ${name('issuer', 'OIDC_ISSUER')}. ` : ''}When the API reaches the provider at another address than the public issuer (Docker, Kubernetes), set ${discoveryUrl} to that address, e.g. http://keycloak:8080 (an origin alone keeps the issuer's path) or http://keycloak:8080/realms/todo-app.`,
          keycloak: 'The document is served at <issuer>/.well-known/openid-configuration.',
          authentik:
            'The document is served at /application/o/<slug>/.well-known/openid-configuration.',
        };
  return {
    code: 'discovery_unreachable',
    check: 'discovery',
    issuer: issuer.issuer,
    summary: `${what} cannot be loaded: ${message(error)}.`,
    expected: `a JSON document at ${url}`,
    received: message(error),
    apiCode: 'idp_unavailable',
    fix,
  };
}

/**
 * The fix for an answer that is there but unusable, where no address or trust setting helps: a
 * redirect (not followed: RFC 9110 §15.4 leaves following it to the client, and the API takes
 * a provider moving its documents as a configuration change) or a server error (5xx: the provider,
 * or a proxy in front of it, fails). Undefined for any other failure.
 */
function answeredFailure(
  issuer: ResolvedIssuer,
  url: string,
  error: unknown,
  name: SettingName,
  what: string,
): Finding['fix'] | undefined {
  const { status, location } = (error ?? {}) as { status?: unknown; location?: unknown };
  if (typeof status !== 'number') return undefined;
  const discovery = what === 'The discovery document';
  if (status >= 300 && status < 400 && typeof location === 'string') {
    const setting =
      issuer.discoveryUrl !== undefined
        ? name('discoveryUrl', 'OIDC_DISCOVERY_URL')
        : name('issuer', 'OIDC_ISSUER');
    const config = discovery
      ? `The provider redirects ${url} to ${location} and the API follows no redirect for its documents: set ${setting} to the address it leads to, without /.well-known/openid-configuration (https when it redirects to https), as the provider publishes it.`
      : `The provider's discovery document names ${url}, which redirects to ${location} and the API follows no redirect for its keys: have the provider publish the address its keys are served at (its jwks_uri; behind a proxy, its public URL setting), or stop the proxy redirecting it.`;
    return {
      config,
      keycloak:
        'Behind a proxy set the hostname (KC_HOSTNAME, https://sso.example.com) so the documents name the addresses clients reach.',
      authentik:
        'Behind a proxy pass X-Forwarded-Proto and Host so the documents name the addresses clients reach.',
    };
  }
  if (status >= 500)
    return {
      config: `The provider, or a proxy in front of it, answers but fails (HTTP ${status}): no setting of the API fixes that; check the provider's health and logs. Meanwhile the API answers tokens it cannot verify with 503 idp_unavailable and /readyz says so; it serves again by itself once the provider answers.`,
      keycloak: 'Check the Keycloak server log, and its health checks when they are enabled.',
      authentik: 'Check the Authentik server and worker logs.',
    };
  return undefined;
}

/** The key set (JWKS) could not be loaded. */
export function jwksUnreachable(
  issuer: ResolvedIssuer,
  jwksUri: string,
  error: unknown,
  name: SettingName,
): Finding {
  return {
    ...unreachable(issuer, jwksUri, error, name, 'The keys (JWKS)'),
    code: 'jwks_unreachable',
    check: 'keys',
    expected: `a JWKS at ${jwksUri}`,
  };
}
