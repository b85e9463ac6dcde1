import type { Finding, SettingName } from './types.js';

/** How two issuer identifiers differ. Issuers are compared exactly (RFC 7519 §4.1.1). */
export type IssuerDifference = 'trailing_slash' | 'scheme' | 'host' | 'other';

function parse(value: string): URL | undefined {
  return URL.canParse(value) ? new URL(value) : undefined;
}

const trim = (path: string) => (path.endsWith('/') ? path.slice(0, -1) : path);

/** Classifies the difference between the configured and the received issuer. */
export function issuerDifference(configured: string, received: string): IssuerDifference {
  if (trim(configured) === trim(received)) return 'trailing_slash';
  const a = parse(configured);
  const b = parse(received);
  if (a === undefined || b === undefined) return 'other';
  const samePath = trim(a.pathname) === trim(b.pathname);
  if (samePath && a.host === b.host && a.protocol !== b.protocol) return 'scheme';
  if (samePath && a.host !== b.host) return 'host';
  return 'other';
}

/**
 * How close `received` is to `configured`, smallest closest: the same URL but the trailing slash
 * (0), the same host with another scheme or path (1), the same path on another host (2), else 3.
 */
function distance(configured: string, received: string): number {
  const kind = issuerDifference(configured, received);
  if (kind === 'trailing_slash') return 0;
  const host = parse(configured)?.host;
  if (host !== undefined && host === parse(received)?.host) return 1;
  return kind === 'host' ? 2 : 3;
}

/**
 * The trusted issuer that an untrusted `received` issuer is closest to (the first among equals),
 * so that advice names the entry the token was most likely meant for, never the first by default.
 */
export function closestIssuer<T extends { readonly issuer: string }>(
  trusted: readonly T[],
  received: string,
): T | undefined {
  let best: T | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of trusted) {
    const d = distance(candidate.issuer, received);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * The finding for an issuer that differs from the configured one. `where` says who advertised
 * `received`: the discovery document fetched from the configured issuer, or a token's `iss`;
 * `name` names the configured issuer's settings (its OIDC_ISSUERS entry's fields when listed).
 */
export function issuerFinding(
  configured: string,
  received: string,
  where: 'discovery' | 'token',
  name: SettingName,
): Finding {
  const kind = issuerDifference(configured, received);
  const issuer = name('issuer', 'OIDC_ISSUER');
  const discoveryUrl = name('discoveryUrl', 'OIDC_DISCOVERY_URL');
  const listed = issuer !== 'OIDC_ISSUER';
  const base = {
    check: where,
    issuer: configured,
    expected: configured,
    received,
    ...(where === 'token' ? { apiCode: 'issuer_unknown' as const } : {}),
  };
  const seen = where === 'token' ? 'The token says' : 'The discovery document says';
  if (kind === 'trailing_slash')
    return {
      ...base,
      code: 'issuer_trailing_slash',
      summary: `${seen} "${received}", which differs from ${issuer} by a trailing slash; issuers are compared exactly.`,
      fix: {
        config: `Set ${issuer}=${received} (exactly, with or without the slash as the provider writes it).`,
        keycloak: 'Keycloak issuers never end in a slash: http(s)://<host>/realms/<realm>.',
        authentik:
          'Authentik issuers always end in a slash: https://<host>/application/o/<application-slug>/.',
      },
    };
  if (kind === 'scheme')
    return {
      ...base,
      code: 'issuer_scheme',
      summary: `${seen} "${received}": the scheme differs from ${issuer} (http versus https).`,
      fix: {
        config: `Set ${issuer} to the issuer that tokens carry (${received}), or fix the provider's public URL.`,
        keycloak:
          'Behind a TLS-terminating proxy, start Keycloak with KC_HOSTNAME=https://<public host> and KC_PROXY_HEADERS=xforwarded so it builds https issuers.',
        authentik:
          'Authentik builds the issuer from the request: make the reverse proxy send X-Forwarded-Proto: https.',
      },
    };
  if (kind === 'host')
    return {
      ...base,
      code: 'issuer_host',
      summary: `${seen} "${received}": the host differs from ${issuer} — the internal address (e.g. http://keycloak:8080) versus the public URL.`,
      fix: {
        config: `Set ${issuer} to the public issuer that tokens carry and ${discoveryUrl} to the address the API can reach, e.g. ${issuer}=${received} ${discoveryUrl}=${new URL(configured).origin}.`,
        keycloak: `Set KC_HOSTNAME to the public URL so every token carries one issuer however Keycloak is reached; the API then fetches metadata and keys over the internal address given in ${discoveryUrl}.`,
        authentik: `Authentik builds the issuer from the Host of the request that obtained the token: keep ${issuer} the public URL and point ${discoveryUrl} at the internal address.`,
      },
    };
  return {
    ...base,
    code: 'issuer_mismatch',
    summary: `${seen} "${received}", which is not the configured issuer.`,
    fix: {
      config: `Trust that issuer (${listed ? 'one more entry in OIDC_ISSUERS' : 'OIDC_ISSUER, or one more entry in OIDC_ISSUERS'}) if it is meant for this API, or get tokens from ${configured}.`,
      keycloak:
        'A Keycloak issuer names its realm: check /realms/<realm> is the realm of the client.',
      authentik:
        'An Authentik issuer names its application slug (/application/o/<slug>/), or is global when the provider uses the global issuer mode.',
    },
  };
}
