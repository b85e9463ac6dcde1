import type { ResolvedIssuer } from '../config.js';
import { type FetchJsonOptions, fetchJson, IdpHttpError } from '../http/fetch-json.js';
import { describeValue } from '../token/describe-value.js';

/** The parts of OIDC Discovery / RFC 8414 metadata this package uses, with aliasing applied. */
export interface IssuerMetadata {
  readonly jwksUri?: string;
  readonly introspectionEndpoint?: string;
  /** Read for the client check of a provider that hides a refused client (Authentik). */
  readonly tokenEndpoint?: string;
}

function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

/** `/.well-known/<name>` and what follows it in a path (RFC 8615 §3). */
const WELL_KNOWN = /\/\.well-known\/[^/]*/;

/**
 * Base URL to fetch from: the issuer, or the alias given by `discoveryUrl` (the discovery
 * document's URL, a base URL, or an origin alone, which keeps the issuer's path).
 */
export function fetchBase(issuer: Pick<ResolvedIssuer, 'issuer' | 'discoveryUrl'>): string {
  if (issuer.discoveryUrl === undefined) return trimSlash(issuer.issuer);
  const alias = new URL(issuer.discoveryUrl);
  const wellKnown = WELL_KNOWN.exec(alias.pathname);
  if (wellKnown !== null) {
    // The issuer's path is what surrounds the well-known segment: before it in the OpenID
    // Connect form (Discovery §4, `<issuer>/.well-known/openid-configuration`), after it in
    // RFC 8414 §3.1's (`<host>/.well-known/oauth-authorization-server/<issuer path>`).
    const { pathname } = alias;
    const before = pathname.slice(0, wellKnown.index);
    const after = pathname.slice(wellKnown.index + wellKnown[0].length);
    return trimSlash(`${alias.origin}${before}${after}`);
  }
  // An origin alone (`http://keycloak:8080`) keeps the issuer's path (`/realms/todo-app`).
  if (alias.pathname === '/' && URL.canParse(issuer.issuer))
    return trimSlash(alias.origin + new URL(issuer.issuer).pathname);
  return trimSlash(alias.href);
}

/** Metadata URL: OIDC Discovery §4 (`/.well-known/openid-configuration` appended to the issuer). */
export function metadataUrl(issuer: ResolvedIssuer): string {
  if (issuer.discoveryUrl?.includes('/.well-known/')) return issuer.discoveryUrl;
  return `${fetchBase(issuer)}/.well-known/openid-configuration`;
}

/**
 * Issuer aliasing: endpoints advertised under the public issuer are rewritten to the internal
 * base the metadata was fetched from, so keys load from `http://keycloak:8080` inside Docker.
 */
export function rewriteEndpoint(issuer: ResolvedIssuer, endpoint: string): string {
  if (issuer.discoveryUrl === undefined) return endpoint;
  const base = fetchBase(issuer);
  const publicBase = trimSlash(issuer.issuer);
  if (endpoint.startsWith(`${publicBase}/`) || endpoint === publicBase)
    return base + endpoint.slice(publicBase.length);
  if (URL.canParse(issuer.issuer)) {
    const publicOrigin = new URL(issuer.issuer).origin;
    if (endpoint.startsWith(`${publicOrigin}/`))
      return new URL(base).origin + endpoint.slice(publicOrigin.length);
  }
  return endpoint;
}

/**
 * An endpoint URL from the metadata. Metadata fetched over TLS must advertise its endpoints over
 * TLS too: RFC 7662 §2.1/§4 (the introspection call carries the client secret and the token),
 * RFC 8414 §2 and OIDC Discovery §3 (`jwks_uri`, the source of every trusted key). A downgrade
 * to plain HTTP is refused (fail closed). A plain-HTTP alias (`discoveryUrl`, an internal
 * address) is the operator's choice and keeps its endpoints as advertised.
 */
function optionalUrl(
  issuer: ResolvedIssuer,
  metadata: Record<string, unknown>,
  name: string,
): string | undefined {
  const value = metadata[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value))
    throw new IdpHttpError(`Metadata member ${name} is not a URL`);
  if (metadataUrl(issuer).startsWith('https:') && new URL(value).protocol !== 'https:')
    throw new IdpHttpError(
      `Metadata member ${name} ${value} is not protected by TLS, though the metadata is`,
    );
  return value;
}

/**
 * Fetches issuer metadata and checks its `issuer` member (OIDC Discovery §4.3, RFC 8414 §3.3):
 * it must be the configured issuer, or, when aliased, the internal base it was fetched from.
 */
export async function discover(
  issuer: ResolvedIssuer,
  http: FetchJsonOptions,
): Promise<IssuerMetadata> {
  const metadata = await fetchJson(metadataUrl(issuer), http);
  const advertised = metadata.issuer;
  // OIDC Discovery §4.3 / RFC 8414 §3.3: the advertised issuer MUST be identical to the
  // configured one. No trailing-slash leniency: `…/app` and `…/app/` share one metadata URL
  // (§4 drops a terminating slash), so only the exact comparison tells the two issuers apart, and
  // a configured issuer that tokens can never carry must fail readiness, not every request.
  const acceptable = [issuer.issuer];
  // Aliasing: the IdP may advertise the internal base the metadata was fetched from instead.
  if (issuer.discoveryUrl !== undefined)
    acceptable.push(fetchBase(issuer), `${fetchBase(issuer)}/`);
  if (typeof advertised !== 'string' || !acceptable.includes(advertised))
    throw new IdpHttpError(
      `Metadata issuer ${describeValue(advertised)} does not match ${issuer.issuer}`,
    );
  const jwksUri = optionalUrl(issuer, metadata, 'jwks_uri');
  const introspection = optionalUrl(issuer, metadata, 'introspection_endpoint');
  // Only ever sent the client secret, so a token endpoint not on TLS while the metadata is (or
  // not a URL) is left unknown rather than refusing the issuer: the check it serves is skipped.
  let token: string | undefined;
  try {
    token = optionalUrl(issuer, metadata, 'token_endpoint');
  } catch {
    token = undefined;
  }
  return {
    ...(token === undefined ? {} : { tokenEndpoint: rewriteEndpoint(issuer, token) }),
    ...(jwksUri === undefined ? {} : { jwksUri: rewriteEndpoint(issuer, jwksUri) }),
    ...(introspection === undefined
      ? {}
      : { introspectionEndpoint: rewriteEndpoint(issuer, introspection) }),
  };
}
