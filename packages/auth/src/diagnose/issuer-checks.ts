import { type Authenticator, createAuthenticator } from '../authenticator.js';
import type { ResolvedIssuer } from '../config.js';
import { MemoryDpopReplayCache } from '../dpop/replay.js';
import { fetchJson, JWKS_ACCEPT } from '../http/fetch-json.js';
import { discover, metadataUrl } from '../jwks/discovery.js';
import { importKeySet, keyFitsAlgorithm } from '../jwks/import-key.js';
import type { IssuerOptions } from '../options.js';
import { dpopFinding, introspectionFinding, signingKeyFinding } from './capability-findings.js';
import { clientCredentialsFinding } from './client-credentials.js';
import { issuerFinding } from './issuer-difference.js';
import type { Finding, IssuerReport } from './types.js';

/** What issuer checks need: a fetch that remembers each answer's `Date`, and the clock. */
export interface CheckContext {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly timeoutMs: number;
  /** The `Date` header of the last answer fetched through {@link fetch}. */
  lastDate(): string | undefined;
}

/**
 * An authenticator as the API creates one, proof checking included: without it an issuer with
 * `dpop: 'required'` (OIDC_DPOP=required) is refused as a configuration error, which the API,
 * which always checks proofs, never sees. Nothing here verifies a proof; the cache only
 * completes the options.
 */
export function apiLikeAuthenticator(
  issuers: readonly IssuerOptions[],
  ctx: Pick<CheckContext, 'fetch' | 'now' | 'timeoutMs'>,
): Authenticator {
  return createAuthenticator({
    issuers,
    fetch: ctx.fetch,
    now: ctx.now,
    httpTimeoutMs: ctx.timeoutMs,
    dpop: { replay: new MemoryDpopReplayCache() },
  });
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const NTP =
  'Synchronise the clocks of the identity provider and API hosts with NTP (timedatectl set-ntp true, or chrony); containers use their host’s clock.';

function unreachable(
  issuer: ResolvedIssuer,
  url: string,
  error: unknown,
  what = 'The discovery document',
): Finding {
  const tls = /\(TLS: /.test(message(error));
  const plainHttp = /ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)/.test(message(error));
  // A 404 for the discovery document: the server is there, the issuer path is not (a realm
  // named differently, an Authentik slug or trailing slash off). An internal address would
  // not help, so the fix is the issuer itself.
  const notFound = what === 'The discovery document' && /answered HTTP 404$/.test(message(error));
  const fix: Finding['fix'] = notFound
    ? {
        config:
          'The provider answers but has no discovery document there: check OIDC_ISSUER (and OIDC_DISCOVERY_URL when set) against the issuer the provider publishes.',
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
                `OIDC_DISCOVERY_URL (${issuer.discoveryUrl}) cannot be reached from this host: check its host name and port (the provider as the API reaches it, inside Docker or Kubernetes its service name, e.g. http://keycloak:8080; an origin alone keeps the issuer's path), or remove it to fetch from the public issuer.`
              : "When the API reaches the provider at another address than the public issuer (Docker, Kubernetes), set OIDC_DISCOVERY_URL to that address, e.g. http://keycloak:8080 (an origin alone keeps the issuer's path) or http://keycloak:8080/realms/todo-app.",
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

function clockFinding(issuer: ResolvedIssuer, skewSec: number): Finding {
  const ahead = skewSec > 0 ? 'this host' : 'the identity provider';
  return {
    code: 'clock_skew',
    check: 'clock',
    issuer: issuer.issuer,
    summary: `The clocks differ by ${Math.abs(skewSec)} s (${ahead} ahead), more than the ${issuer.clockToleranceSec} s the API tolerates: fresh tokens are refused as not yet valid, or expire early.`,
    expected: `at most ${issuer.clockToleranceSec} s apart`,
    received: `${skewSec > 0 ? '+' : ''}${skewSec} s (local minus the provider's Date header)`,
    apiCode: skewSec < 0 ? 'token_not_yet_valid' : 'token_expired',
    fix: { keycloak: NTP, authentik: NTP },
  };
}

function keyReport(jwks: Record<string, unknown>, algorithms: readonly string[]) {
  const keys = Array.isArray(jwks.keys) ? (jwks.keys as Record<string, unknown>[]) : [];
  const usable = importKeySet(jwks, algorithms).filter((k) =>
    algorithms.some((alg) => keyFitsAlgorithm(k, alg)),
  );
  const usableKids = new Set(usable.map((k) => k.kid));
  return keys
    .filter((k) => k?.use === undefined || k.use === 'sig')
    .map((k) => ({
      ...(typeof k.kid === 'string' ? { kid: k.kid } : {}),
      ...(typeof k.alg === 'string' ? { alg: k.alg } : {}),
      ...(typeof k.kty === 'string' ? { kty: k.kty } : {}),
      usable: typeof k.kid === 'string' ? usableKids.has(k.kid) : usable.length > 0,
    }));
}

function algorithmFinding(issuer: ResolvedIssuer, keys: IssuerReport['keys']): Finding {
  const offered = [...new Set(keys.map((k) => k.alg ?? k.kty ?? '?'))].join(', ') || '(no keys)';
  return {
    code: 'algorithm_not_allowed',
    check: 'keys',
    issuer: issuer.issuer,
    summary: `No signing key of the provider fits an algorithm the API accepts; every token will be refused.`,
    expected: issuer.algorithms.join(', '),
    received: offered,
    apiCode: 'alg_not_allowed',
    fix: {
      keycloak:
        'Realm settings → Keys → Providers: add an rsa-generated (RS256) key, and Realm settings → Tokens → Default signature algorithm: RS256.',
      authentik: 'Provider → Signing Key: an RSA certificate (RS256) or an EC P-256 one (ES256).',
    },
  };
}

/** The issuer's keys as the API would load them; what is wrong with them goes to `findings`. */
async function checkKeys(
  issuer: ResolvedIssuer,
  jwksUri: string,
  ctx: CheckContext,
  findings: Finding[],
): Promise<IssuerReport['keys']> {
  let jwks: Record<string, unknown>;
  try {
    jwks = await fetchJson(jwksUri, {
      fetch: ctx.fetch,
      timeoutMs: ctx.timeoutMs,
      accept: JWKS_ACCEPT,
    });
  } catch (e) {
    findings.push(jwksUnreachable(issuer, jwksUri, e));
    return [];
  }
  const missing = signingKeyFinding(issuer, jwks, jwksUri);
  if (missing !== undefined) {
    findings.push(missing);
    return [];
  }
  try {
    const keys = keyReport(jwks, issuer.algorithms);
    // Keys no allowed algorithm fits, but some algorithm would: the allowlist is the problem.
    if (!keys.some((k) => k.usable)) findings.push(algorithmFinding(issuer, keys));
    return keys;
  } catch (e) {
    findings.push(jwksUnreachable(issuer, jwksUri, e));
    return [];
  }
}

function jwksUnreachable(issuer: ResolvedIssuer, jwksUri: string, error: unknown): Finding {
  return {
    ...unreachable(issuer, jwksUri, error, 'The keys (JWKS)'),
    code: 'jwks_unreachable',
    check: 'keys',
    expected: `a JWKS at ${jwksUri}`,
  };
}

/**
 * Checks one issuer as the API's authenticator sees it: discovery reachable and its `issuer`
 * member exactly the configured one (the authenticator's own `discover`), keys loadable (the
 * authenticator's own readiness), keys fitting the algorithm allowlist, the clock, and what the
 * configuration needs the provider to offer (DPoP, introspection).
 */
export async function checkIssuer(
  options: IssuerOptions,
  issuer: ResolvedIssuer,
  ctx: CheckContext,
): Promise<{ report: IssuerReport; findings: Finding[] }> {
  const http = { fetch: ctx.fetch, timeoutMs: ctx.timeoutMs };
  const url = metadataUrl(issuer);
  const findings: Finding[] = [];
  let raw: Record<string, unknown>;
  try {
    raw = await fetchJson(url, http);
  } catch (e) {
    return {
      report: { issuer: issuer.issuer, metadataUrl: url, keys: [], ready: false },
      findings: [unreachable(issuer, url, e)],
    };
  }
  const date = ctx.lastDate();
  const skew = date ? Math.round((ctx.now() - Date.parse(date)) / 1000) : undefined;
  if (skew !== undefined && Math.abs(skew) > issuer.clockToleranceSec)
    findings.push(clockFinding(issuer, skew));
  const advertised = typeof raw.issuer === 'string' ? raw.issuer : undefined;
  let jwksUri: string | undefined;
  try {
    const metadata = await discover(issuer, http);
    jwksUri = metadata.jwksUri;
    for (const f of [
      dpopFinding(issuer, raw),
      introspectionFinding(issuer, metadata.introspectionEndpoint),
      await clientCredentialsFinding(issuer, raw, http),
    ])
      if (f !== undefined) findings.push(f);
  } catch (e) {
    findings.push(
      advertised !== undefined && advertised !== issuer.issuer
        ? issuerFinding(issuer.issuer, advertised, 'discovery')
        : unreachable(issuer, url, e),
    );
  }
  const keys = jwksUri === undefined ? [] : await checkKeys(issuer, jwksUri, ctx, findings);
  // The authenticator's own verdict, exactly what the API's /readyz reports.
  const auth = apiLikeAuthenticator([options], ctx);
  const ready = await auth.ready();
  auth.close();
  return {
    report: {
      issuer: issuer.issuer,
      metadataUrl: url,
      ...(advertised === undefined ? {} : { advertisedIssuer: advertised }),
      ...(jwksUri === undefined ? {} : { jwksUri }),
      keys,
      ...(skew === undefined ? {} : { clockSkewSec: skew }),
      ready,
    },
    findings,
  };
}
