import { type Authenticator, createAuthenticator } from '../authenticator.js';
import type { ResolvedIssuer } from '../config.js';
import { MemoryDpopReplayCache } from '../dpop/replay.js';
import { fetchJson, JWKS_ACCEPT } from '../http/fetch-json.js';
import { discover, metadataUrl } from '../jwks/discovery.js';
import { importKeySet, keyFitsAlgorithm } from '../jwks/import-key.js';
import type { IssuerOptions } from '../options.js';
import { dpopFinding, introspectionFinding, signingKeyFinding } from './capability-findings.js';
import { clientCredentialsFinding } from './client-credentials.js';
import { disclosedKeyFinding } from './disclosed-key-finding.js';
import { introspectionClientFinding } from './introspection-client.js';
import { issuerFinding } from './issuer-difference.js';
import { stepUpFinding } from './step-up-finding.js';
import type { Finding, IssuerReport, SettingName, StepUpLevel } from './types.js';
import { jwksUnreachable, unreachable } from './unreachable-findings.js';

/** What issuer checks need: a fetch that remembers each answer's `Date`, and the clock. */
export interface CheckContext {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly timeoutMs: number;
  /** The `Date` header of the last answer fetched through {@link fetch}. */
  lastDate(): string | undefined;
}

/** One issuer's checks: the context, and how fixes name its settings (see `settingNames`). */
export interface IssuerCheckContext extends CheckContext {
  readonly name: SettingName;
  /** The level admin work asks of this issuer, if any. */
  readonly stepUp?: StepUpLevel;
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

const NTP =
  'Synchronise the clocks of the identity provider and API hosts with NTP (timedatectl set-ntp true, or chrony); containers use their host’s clock.';

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
  ctx: IssuerCheckContext,
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
    findings.push(jwksUnreachable(issuer, jwksUri, e, ctx.name));
    return [];
  }
  const missing = signingKeyFinding(issuer, jwks, jwksUri);
  if (missing !== undefined) {
    findings.push(missing);
    return [];
  }
  try {
    const keys = keyReport(jwks, issuer.algorithms);
    // Keys published with their private part are not trusted: said as that, not as below.
    const disclosed = disclosedKeyFinding(issuer, jwks, jwksUri);
    if (disclosed !== undefined) findings.push(disclosed);
    // Keys no allowed algorithm fits, but some algorithm would: the allowlist is the problem.
    else if (!keys.some((k) => k.usable)) findings.push(algorithmFinding(issuer, keys));
    return keys;
  } catch (e) {
    findings.push(jwksUnreachable(issuer, jwksUri, e, ctx.name));
    return [];
  }
}

/**
 * The API's own client: refused in the client credentials grant (Keycloak's admin API), or at
 * the introspection endpoint (OIDC_VERIFY=introspect). A refused secret is said once; a client
 * only barred from the grant that may not introspect either is said as the introspection refusal,
 * which stops every request rather than the Admin screen.
 */
async function clientFinding(
  issuer: ResolvedIssuer,
  raw: Record<string, unknown>,
  introspectionEndpoint: string | undefined,
  ctx: IssuerCheckContext,
): Promise<Finding | undefined> {
  const http = { fetch: ctx.fetch, timeoutMs: ctx.timeoutMs };
  const grant = await clientCredentialsFinding(issuer, raw, http, ctx.name);
  if (grant?.received === 'invalid_client') return grant;
  const introspection = await introspectionClientFinding(
    issuer,
    raw,
    introspectionEndpoint,
    http,
    ctx.name,
  );
  return introspection ?? grant;
}

/**
 * Checks one issuer as the API's authenticator sees it: discovery reachable and its `issuer`
 * member exactly the configured one (the authenticator's own `discover`), keys loadable (the
 * authenticator's own readiness), keys fitting the algorithm allowlist, the clock, and what the
 * configuration needs the provider to offer (DPoP, introspection, the admin level).
 */
export async function checkIssuer(
  options: IssuerOptions,
  issuer: ResolvedIssuer,
  ctx: IssuerCheckContext,
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
      findings: [unreachable(issuer, url, e, ctx.name)],
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
      dpopFinding(issuer, raw, ctx.name),
      stepUpFinding(issuer, raw, ctx.stepUp),
      introspectionFinding(issuer, metadata.introspectionEndpoint, ctx.name),
      await clientFinding(issuer, raw, metadata.introspectionEndpoint, ctx),
    ])
      if (f !== undefined) findings.push(f);
  } catch (e) {
    findings.push(
      advertised !== undefined && advertised !== issuer.issuer
        ? issuerFinding(issuer.issuer, advertised, 'discovery', ctx.name)
        : unreachable(issuer, url, e, ctx.name),
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
